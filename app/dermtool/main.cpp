// dermtool: dermreader's command line (taxonomy, prediction, and later training).
#include <iostream>

#include <CLI/CLI.hpp>

#include "EngineCommands.h"
#include "TaxonomyCommands.h"

int main(int argc, char** argv) {
    CLI::App app{"dermreader command-line tool"};
    app.set_version_flag("--version", std::string("dermtool ") + DERMREADER_VERSION);
    app.require_subcommand(1);
    int exitCode = 0;  // commands set 2 when some inputs failed
    dermtool::addTaxonomyCommands(app);
    dermtool::addEngineCommands(app, exitCode);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    } catch (const std::exception& e) {
        // Every library error names the file and the problem; print it and fail cleanly.
        std::cerr << "dermtool: error: " << e.what() << "\n";
        return 1;
    }
    return exitCode;
}
