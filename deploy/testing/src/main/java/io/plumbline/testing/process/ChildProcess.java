package io.plumbline.testing.process;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A child process of the local stack or of a test (a packaged service, Kafka): started with its output appended to a log file (never an undrained pipe), its pid
 * recorded in a pid file so that a later start can stop it if this JVM died without doing so, stopped with SIGTERM
 * and, after a grace period, SIGKILL.
 */
public final class ChildProcess {

    private static final String SETSID = java.util.stream.Stream.of("/usr/bin/setsid", "/bin/setsid")
            .filter(p -> Files.isExecutable(Path.of(p))).findFirst().orElse(null);

    private final String name;
    private final Process process;
    private final Path logFile;
    private final Path pidFile;

    private ChildProcess(String name, Process process, Path logFile, Path pidFile) {
        this.name = name;
        this.process = process;
        this.logFile = logFile;
        this.pidFile = pidFile;
    }

    /**
     * Starts {@code command} in {@code workDir} with {@code environment} added, appending its output to
     * {@code logFile} (the previous run's log is kept as {@code <log>.1}).
     */
    public static ChildProcess start(String name, List<String> command, Path workDir, Map<String, String> environment,
                              Path logFile, Path pidFile) {
        try {
            Files.createDirectories(logFile.getParent());
            Files.createDirectories(pidFile.getParent());
            if (Files.exists(logFile) && Files.size(logFile) > 0) {
                Files.move(logFile, logFile.resolveSibling(logFile.getFileName() + ".1"),
                        StandardCopyOption.REPLACE_EXISTING);
            }
            Files.writeString(logFile, "# " + Instant.now() + " " + String.join(" ", abbreviate(command)) + "\n");
            // command[0] is java: the marker goes first among its options, where a truncated view of the command
            // line (the JDK shows 4 KB of it) still has it.
            String marker = "-Dplumbline.child=" + pidFile.toAbsolutePath();
            List<String> argv = new java.util.ArrayList<>(command);
            argv.add(1, marker);
            if (SETSID != null) {
                // Its own session: Ctrl-C in the terminal reaches only the stack, which then stops the children in
                // order (services before Kafka). The child is no group leader, so setsid execs in place: same pid.
                argv.addFirst(SETSID);
            }
            ProcessBuilder builder = new ProcessBuilder(argv)
                    .directory(workDir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
            builder.environment().putAll(environment);
            Process process = builder.start();
            Files.writeString(pidFile, process.pid() + "\n" + marker + "\n");
            return new ChildProcess(name, process, logFile, pidFile);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot start " + name + ": " + e.getMessage(), e);
        }
    }

    /**
     * Stops a process a previous run recorded in {@code pidFile} and left behind (its JVM was killed): only if it is
     * alive and its command line still carries the recorded marker, so an unrelated process that reused the pid is
     * never touched.
     */
    public static void stopLeftover(String name, Path pidFile, Duration grace) {
        if (!Files.exists(pidFile)) {
            return;
        }
        try {
            List<String> lines = Files.readAllLines(pidFile, StandardCharsets.UTF_8);
            long pid = Long.parseLong(lines.get(0).trim());
            String marker = lines.size() > 1 ? lines.get(1).trim() : "";
            Optional<ProcessHandle> handle = ProcessHandle.of(pid).filter(ProcessHandle::isAlive);
            if (handle.isPresent() && !marker.isEmpty() && commandLine(handle.get()).contains(marker)) {
                System.out.println("  stopping " + name + " left running by a previous run (pid " + pid + ")");
                terminate(handle.get(), grace);
            }
        } catch (IOException | RuntimeException e) {
            System.out.println("  (ignoring unreadable " + pidFile + ": " + e.getMessage() + ")");
        }
        deleteQuietly(pidFile);
    }

    public String name() {
        return name;
    }

    public Path logFile() {
        return logFile;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public Process process() {
        return process;
    }

    /**
     * Waits up to {@code timeout} for the process to exit; returns true if it has. A bounded wait that ends early
     * when the process dies: used to pace readiness polls.
     */
    public boolean awaitExit(Duration timeout) {
        try {
            process.onExit().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            return !process.isAlive();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return !process.isAlive();
        }
    }

    /**
     * Polls {@code uri} (for example a service's {@code /q/health/ready}) until it answers 200, the process exits, or
     * {@code deadlineNanos} (a {@link System#nanoTime()} value) passes. Returns "ready", else what went wrong.
     */
    public String awaitReady(URI uri, long deadlineNanos) {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        int lastStatus = -1;
        while (System.nanoTime() < deadlineNanos) {
            if (!process.isAlive()) {
                return "FAILED: exited with status " + process.exitValue();
            }
            try {
                HttpResponse<String> response = http.send(
                        HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).GET().build(),
                        HttpResponse.BodyHandlers.ofString());
                lastStatus = response.statusCode();
                if (lastStatus == 200) {
                    return "ready";
                }
            } catch (IOException e) {
                // not listening yet, or starting up
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return "interrupted";
            }
            awaitExit(Duration.ofMillis(250)); // pacing that ends at once if the process dies
        }
        return "FAILED: not ready in time" + (lastStatus > 0 ? " (last answer " + lastStatus + ")" : "");
    }

    /** SIGTERM, then SIGKILL after {@code grace}; removes the pid file. */
    public void stop(Duration grace) {
        if (process.isAlive()) {
            terminate(process.toHandle(), grace);
        }
        deleteQuietly(pidFile);
    }

    /** SIGKILL at once, as a crash would end it; waits until it is gone and removes the pid file. */
    public void kill() {
        if (process.isAlive()) {
            process.destroyForcibly();
            process.onExit().orTimeout(30, TimeUnit.SECONDS).exceptionally(t -> process).join();
        }
        deleteQuietly(pidFile);
    }

    /** The last {@code lines} lines of the log file. */
    public String tail(int lines) {
        try (RandomAccessFile file = new RandomAccessFile(logFile.toFile(), "r")) {
            long length = file.length();
            long from = Math.max(0, length - 64 * 1024);
            file.seek(from);
            byte[] bytes = new byte[(int) (length - from)];
            file.readFully(bytes);
            List<String> all = List.of(new String(bytes, StandardCharsets.UTF_8).split("\n"));
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(cannot read " + logFile + ": " + e.getMessage() + ")";
        }
    }

    private static void terminate(ProcessHandle handle, Duration grace) {
        // Children first would orphan nothing here: java -jar and kafka.Kafka have no children of their own.
        handle.destroy();
        try {
            handle.onExit().get(grace.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            System.out.println("  pid " + handle.pid() + " did not stop within " + grace.toSeconds() + " s: killing it");
            handle.destroyForcibly();
            handle.onExit().orTimeout(10, TimeUnit.SECONDS).exceptionally(t -> handle).join();
        } catch (ExecutionException e) {
            // exited
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The full command line: /proc on Linux (the JDK's view is cut at 4 KB), else what the JDK knows. */
    private static String commandLine(ProcessHandle handle) {
        Path proc = Path.of("/proc", String.valueOf(handle.pid()), "cmdline");
        try {
            if (Files.isReadable(proc)) {
                return new String(Files.readAllBytes(proc), StandardCharsets.UTF_8).replace('\0', ' ');
            }
        } catch (IOException ignored) {
            // fall through
        }
        return handle.info().commandLine().orElse("");
    }

    private static List<String> abbreviate(List<String> command) {
        return command.stream().map(a -> a.length() > 200 ? a.substring(0, 60) + "...(" + a.length() + " chars)" : a)
                .toList();
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // best effort
        }
    }
}
