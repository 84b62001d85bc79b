/**
 * Workspaces (ARCHITECTURE.md, "Workspaces"): the daemon's side ({@link WorkspaceService}: guest
 * scripts, the {@code workspaces} table, the operations; {@link WorkspaceRpc}: the {@code
 * workspace.*} methods) and the caller's side ({@link CallerWorkspaces}: git on the host with the
 * caller's rights), composed from the workspace module.
 */
package dev.hearth.daemon.internal.workspace;
