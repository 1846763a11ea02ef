#pragma once
// The subcommands of `tapegrad`. Each is the main() of an example program compiled as a function
// (TG_EXAMPLE_MAIN in examples/common/entry.hpp) or, for inspect and export, a function of this
// directory.
// They take the arguments after the subcommand's name, with argv[0] = "tapegrad <name>", and
// return the process exit status.
int tg_command_train_cnn(int argc, char** argv);    // examples/train_cnn.cpp
int tg_command_train_mlp(int argc, char** argv);    // examples/train_mlp.cpp
int tg_command_train_rnn(int argc, char** argv);    // examples/train_rnn.cpp
int tg_command_predict(int argc, char** argv);      // examples/predict.cpp
int tg_command_activations(int argc, char** argv);  // examples/activations.cpp
int tg_command_study(int argc, char** argv);        // examples/study.cpp
int tg_command_inspect(int argc, char** argv);      // tools/tapegrad/inspect.cpp
int tg_command_export(int argc, char** argv);       // tools/tapegrad/export.cpp
