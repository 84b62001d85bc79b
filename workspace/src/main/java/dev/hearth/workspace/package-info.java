/**
 * Workspaces: a host git repository copied into a guest and the guest's commits brought back.
 * {@link HostGit} runs git on the host without writing to the repository it reads; {@link
 * RepositoryInspector} refuses the states a workspace cannot carry; {@link ImportPreparer} makes
 * one git bundle of the branch and the uncommitted state; {@link WorkspaceScripts} are the guest's
 * POSIX sh scripts (import, status, export); {@link BundleHeader} and {@link HostExport} take the
 * guest's bundle, hostile input, back into the host repository.
 */
package dev.hearth.workspace;
