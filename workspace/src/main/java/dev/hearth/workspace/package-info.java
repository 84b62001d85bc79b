/** Git inspection, copy preparation, guest import and export scripts. */
package dev.hearth.workspace;
