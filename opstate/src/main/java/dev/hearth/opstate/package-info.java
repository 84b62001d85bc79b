/** Registry of in-flight asynchronous operations. */
package dev.hearth.opstate;
