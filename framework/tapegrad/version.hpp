#pragma once
namespace tg {
inline constexpr const char* kVersion = "0.1.0";
}
