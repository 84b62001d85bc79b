package dev.hearth.core;

import java.sql.Connection;
import java.sql.SQLException;

/** Work done with the store's connection. */
@FunctionalInterface
public interface SqlFunction<T> {
  T apply(Connection connection) throws SQLException;
}
