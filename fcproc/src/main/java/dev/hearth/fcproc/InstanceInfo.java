package dev.hearth.fcproc;

/** The answer of {@code GET /}. */
public record InstanceInfo(String appName, String id, InstanceState state, String vmmVersion) {}
