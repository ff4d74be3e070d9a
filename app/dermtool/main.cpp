// dermtool: dermreader's command line (taxonomy, prediction, and later training).
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include "EngineCommands.h"
#include "Launcher.h"
#include "TaxonomyCommands.h"
#include "TrainingCommands.h"

int main(int argc, char** argv) {
    CLI::App app{"dermreader command-line tool"};
    app.set_version_flag("--version", std::string("dermtool ") + DERMREADER_VERSION);
    app.require_subcommand(1);
    int exitCode = 0;  // commands set 2 when some inputs failed
    dermtool::setCommandLine(argc, argv);
    dermtool::addTaxonomyCommands(app);
    dermtool::addEngineCommands(app, exitCode);
    dermtool::addTrainingCommands(app);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    } catch (const std::exception& e) {
        // Every library error names the file and the problem; print it and fail cleanly.
        // LibTorch appends a C++ backtrace to its messages: keep the sentence, drop the frames.
        std::string message = e.what();
        if (auto at = message.find("\nException raised from"); at != std::string::npos)
            message.resize(at);
        std::cerr << "dermtool: error: " << message << "\n";
        return 2;  // bad input, like a failed image in `predict`
    }
    return exitCode;
}
