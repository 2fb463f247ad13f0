#ifndef CFUZZDRIVER_H
#define CFUZZDRIVER_H

/// Runs libFuzzer's driver on the program's `LLVMFuzzerTestOneInput` (`-sanitize=fuzzer` links libFuzzer).
///
/// SwiftPM links a Linux executable with `--defsym main=<Module>_main` and `-parse-as-library` emits no such
/// function, so each fuzz target defines `<Module>_main` and calls this: libFuzzer's own `main` is then never
/// needed.
int mediajobs_fuzz_main(int argc, char **argv);

#endif
