/** Image validators, staging with atomic publish, build-script generation. */
package dev.hearth.imagemgr;
