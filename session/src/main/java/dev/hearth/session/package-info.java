/** Guest session helpers: guest paths, POSIX sh scripts, parsers, ShellQuote. */
package dev.hearth.session;
