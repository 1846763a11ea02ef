#pragma once
/// @file
/// Grad mode is thread-local, like the tape. With it off, ops record nothing.
namespace tg {

/// True when ops record on this thread (the default).
bool is_grad_enabled();
/// Turns recording on or off for this thread (NoGradGuard and EnableGradGuard do it for a scope).
void set_grad_enabled(bool on);

/// Turns recording off for a scope (evaluation, optimizer steps, initialisation).
class NoGradGuard {
 public:
  NoGradGuard() : prev_(is_grad_enabled()) { set_grad_enabled(false); }  ///< turns recording off
  ~NoGradGuard() { set_grad_enabled(prev_); }  ///< restores the previous mode
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool prev_;
};

/// Turns recording back on inside a NoGradGuard scope.
class EnableGradGuard {
 public:
  EnableGradGuard() : prev_(is_grad_enabled()) { set_grad_enabled(true); }  ///< turns recording on
  ~EnableGradGuard() { set_grad_enabled(prev_); }  ///< restores the previous mode
  EnableGradGuard(const EnableGradGuard&) = delete;
  EnableGradGuard& operator=(const EnableGradGuard&) = delete;

 private:
  bool prev_;
};

}  // namespace tg
