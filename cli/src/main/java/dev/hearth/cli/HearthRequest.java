package dev.hearth.cli;

import dev.hearth.daemon.Hearth;

/** One request to hearth, which may block (so it may be interrupted). */
@FunctionalInterface
interface HearthRequest<T> {
  T apply(Hearth hearth) throws InterruptedException;
}
