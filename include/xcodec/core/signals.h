#pragma once
/// Graceful stop on SIGINT/SIGTERM: long-running loops poll stop_requested() and finish the
/// current unit of work (a training step, a file) before returning.

namespace xcodec {

/// Installs handlers for SIGINT and SIGTERM that only set a flag. A second signal of either
/// kind restores the default action, so pressing Ctrl-C twice still kills a stuck program.
void install_stop_handlers();
/// True once SIGINT or SIGTERM arrived (or request_stop() was called).
bool stop_requested();
/// The signal number that requested the stop (0 if none or requested programmatically).
int stop_signal();
/// Requests a stop from code (tests, watchdogs).
void request_stop();
/// Clears the flag (tests).
void reset_stop();

}  // namespace xcodec
