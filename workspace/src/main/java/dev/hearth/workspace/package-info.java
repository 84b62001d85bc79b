/** Reserved for git import and export between host folders and guests; nothing is here yet. */
package dev.hearth.workspace;
