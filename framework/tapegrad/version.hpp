#pragma once
/// @file
/// The library version.
namespace tg {
/// The library's version, "major.minor.patch" (checkpoints record it as tapegrad_version).
inline constexpr const char* kVersion = "0.1.0";
}  // namespace tg
