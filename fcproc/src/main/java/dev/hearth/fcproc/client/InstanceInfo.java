package dev.hearth.fcproc.client;

/** The answer of {@code GET /}. */
public record InstanceInfo(String appName, String id, InstanceState state, String vmmVersion) {}
