// Carries the precompiled header shared by the test programs (see CMakeLists.txt).
