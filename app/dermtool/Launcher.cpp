#include "Launcher.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <iostream>
#include <stdexcept>
#include <thread>

namespace dermtool {

namespace {

std::vector<std::string>& commandLine() {
    static std::vector<std::string> arguments;
    return arguments;
}

// How many times the user asked to stop: once stops after the current step, twice kills.
volatile std::sig_atomic_t gStopRequested = 0;
void onStopSignal(int) {
    gStopRequested = gStopRequested + 1;
}

// A free TCP port on the loopback interface for rank 0's rendezvous store.
int freeLoopbackPort() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        throw std::runtime_error(std::string("cannot open a socket: ") + std::strerror(errno));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    socklen_t length = sizeof address;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
        ::close(fd);
        throw std::runtime_error(std::string("cannot find a free port: ") + std::strerror(errno));
    }
    ::close(fd);
    return ntohs(address.sin_port);
}

// The worker's arguments: ours without --nproc, plus its place in the group.
std::vector<std::string> workerArguments(int rank, int processes, int port, int threads) {
    std::vector<std::string> args;
    const auto& own = commandLine();
    bool threadsGiven = false;
    for (std::size_t i = 0; i < own.size(); ++i) {
        const std::string& a = own[i];
        if (a == "--nproc") {
            ++i;
            continue;
        }
        if (a.rfind("--nproc=", 0) == 0)
            continue;
        if (rank > 0 && (a == "--progress")) {  // only rank 0 reports
            ++i;
            continue;
        }
        if (rank > 0 && a.rfind("--progress=", 0) == 0)
            continue;
        threadsGiven = threadsGiven || a == "--threads" || a.rfind("--threads=", 0) == 0;
        args.push_back(a);
    }
    if (rank > 0)
        args.insert(args.end(), {"--progress", "none"});
    if (!threadsGiven && threads > 0)
        args.insert(args.end(), {"--threads", std::to_string(threads)});
    args.insert(args.end(),
                {"--rank", std::to_string(rank), "--world-size", std::to_string(processes),
                 "--rendezvous", "127.0.0.1:" + std::to_string(port)});
    return args;
}

// A worker process and the read end of its stderr, which the launcher passes on line by line
// and remembers the last of (its error, if it fails).
struct Worker {
    pid_t pid = -1;
    int errors = -1;
    std::string pending, lastLine;
};

Worker startWorker(const std::vector<std::string>& args, bool quiet) {
    std::vector<char*> argv;
    std::string self = "/proc/self/exe";
    argv.push_back(self.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    // Rank 0 on a terminal keeps it, so its progress bar shows; the others' errors are
    // passed on (and remembered) through a pipe.
    const bool piped = quiet || !::isatty(STDERR_FILENO);
    int pipeEnds[2] = {-1, -1};
    if (piped && ::pipe2(pipeEnds, O_CLOEXEC) != 0)
        throw std::runtime_error(std::string("cannot start a worker: ") + std::strerror(errno));
    const pid_t launcher = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0)
        throw std::runtime_error(std::string("cannot start a worker: ") + std::strerror(errno));
    if (pid == 0) {
        // A worker never outlives its launcher (killed, or its parent app gone): it would
        // keep writing the run folder beside a resumed run.
        ::prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (::getppid() != launcher)
            ::_exit(1);
        std::signal(SIGINT, SIG_IGN);  // the launcher decides when workers stop
        if (piped)
            ::dup2(pipeEnds[1], STDERR_FILENO);
        if (quiet) {
            const int null = ::open("/dev/null", O_WRONLY);
            if (null >= 0)
                ::dup2(null, STDOUT_FILENO);
        }
        ::execv("/proc/self/exe", argv.data());
        std::cerr << "dermtool: cannot run a worker: " << std::strerror(errno) << "\n";
        ::_exit(127);
    }
    if (piped)
        ::close(pipeEnds[1]);
    return {pid, pipeEnds[0], {}, {}};
}

// Passes on what workers wrote to stderr, whole lines at a time; waits up to `timeoutMs`.
void forwardErrors(std::vector<Worker>& workers, int timeoutMs) {
    std::vector<pollfd> fds;
    for (const auto& w : workers)
        fds.push_back({w.errors, POLLIN, 0});
    if (::poll(fds.data(), fds.size(), timeoutMs) <= 0)
        return;
    for (std::size_t i = 0; i < workers.size(); ++i) {
        Worker& w = workers[i];
        if (w.errors < 0 || !(fds[i].revents & (POLLIN | POLLHUP)))
            continue;
        char buffer[4096];
        const ssize_t n = ::read(w.errors, buffer, sizeof buffer);
        if (n <= 0) {
            ::close(w.errors);
            w.errors = -1;
            if (!w.pending.empty())
                std::cerr << w.pending << "\n";
            continue;
        }
        w.pending.append(buffer, static_cast<std::size_t>(n));
        for (auto end = w.pending.find('\n'); end != std::string::npos;
             end = w.pending.find('\n')) {
            const std::string line = w.pending.substr(0, end);
            w.pending.erase(0, end + 1);
            std::cerr << line << "\n";
            if (!line.empty())  // "dermtool: error: worker 1: ..." -> "worker 1: ..."
                w.lastLine = line.rfind("dermtool: error: ", 0) == 0 ? line.substr(17) : line;
        }
    }
    std::cerr.flush();
}

std::string describeExit(int status) {
    if (WIFSIGNALED(status))
        return std::string("was killed by signal ") + std::to_string(WTERMSIG(status)) + " (" +
               ::strsignal(WTERMSIG(status)) + ")";
    return "exited with status " + std::to_string(WEXITSTATUS(status));
}

}  // namespace

void setCommandLine(int argc, char** argv) {
    commandLine().assign(argv + 1, argv + argc);
}

void runWorkers(const WorkerOptions& options) {
    const int processes = options.processes;
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    const int threads =
        options.threadsPerWorker > 0 ? options.threadsPerWorker : std::max(1, cores / processes);
    const int port = freeLoopbackPort();

    struct sigaction stop {};
    stop.sa_handler = onStopSignal;  // no SA_RESTART: waitpid returns to forward the signal
    ::sigaction(SIGINT, &stop, nullptr);
    ::sigaction(SIGTERM, &stop, nullptr);

    std::vector<Worker> workers;
    try {
        for (int rank = 0; rank < processes; ++rank)
            workers.push_back(
                startWorker(workerArguments(rank, processes, port, threads), rank > 0));
    } catch (...) {  // the ones started would wait for the rest at the rendezvous
        for (const Worker& w : workers) {
            ::kill(w.pid, SIGKILL);
            ::waitpid(w.pid, nullptr, 0);
            ::close(w.errors);
        }
        throw;
    }
    std::cerr << "dermtool train: " << processes
              << " worker processes, rendezvous 127.0.0.1:" << port << ", " << threads
              << " CPU threads each\n";

    auto running = [&] {
        return std::any_of(workers.begin(), workers.end(),
                           [](const Worker& w) { return w.pid > 0; });
    };
    auto signalAll = [&](int signal) {
        for (const Worker& w : workers)
            if (w.pid > 0)
                ::kill(w.pid, signal);
    };
    std::string failure;
    bool forwarded = false;
    auto deadline = std::chrono::steady_clock::time_point::max();
    while (running()) {
        if (gStopRequested && !forwarded) {
            signalAll(SIGTERM);  // each rank stops after the step they agree on
            forwarded = true;
        }
        if (gStopRequested > 1)
            signalAll(SIGKILL);  // asked twice: now
        forwardErrors(workers, 100);
        if (!failure.empty() && std::chrono::steady_clock::now() > deadline)
            signalAll(SIGKILL);  // the others did not stop after a failure: kill them
        int status = 0;
        const pid_t pid = ::waitpid(-1, &status, WNOHANG);
        if (pid <= 0)
            continue;
        const auto it = std::find_if(workers.begin(), workers.end(),
                                     [pid](const Worker& w) { return w.pid == pid; });
        if (it == workers.end())
            continue;
        const int rank = static_cast<int>(it - workers.begin());
        it->pid = -1;
        if ((WIFEXITED(status) && WEXITSTATUS(status) == 0) || !failure.empty())
            continue;
        forwardErrors(workers, 0);
        failure = "worker " + std::to_string(rank) + " (pid " + std::to_string(pid) + ") " +
                  describeExit(status) + (it->lastLine.empty() ? "" : ": " + it->lastLine);
        // The others would wait for it until the collective timeout: stop them now.
        signalAll(SIGTERM);
        deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    }
    for (auto& w : workers) {  // what they wrote last
        while (w.errors >= 0)
            forwardErrors(workers, 100);
    }
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
    if (!failure.empty()) {
        if (gStopRequested)
            throw std::runtime_error("training interrupted (" + failure +
                                     "); resume with --resume");
        throw std::runtime_error("data-parallel training stopped: " + failure +
                                 "; the other workers were stopped; resume with --resume");
    }
}

}  // namespace dermtool
