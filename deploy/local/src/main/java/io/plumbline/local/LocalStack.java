package io.plumbline.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Collectors;

import io.plumbline.local.demo.DemoDataset;
import io.plumbline.local.demo.DemoRun;
import io.plumbline.local.demo.DemoStandIn;
import io.plumbline.local.llm.LlmSelection;
import io.plumbline.testing.KafkaBroker;
import io.plumbline.testing.PostgresServer;
import io.plumbline.testing.process.ChildProcess;
import io.plumbline.testing.llm.LlmStandIn;
import io.plumbline.testing.process.PackagedService;

/**
 * The one-command local stack: Kafka (KRaft, single node, a separate long-running JVM), PostgreSQL (the configured
 * one, one on 127.0.0.1:5432, or an embedded one) and every service whose packaged application exists, each with its
 * own database. Data lives under {@code PLUMBLINE_HOME} (default {@code <repo>/.plumbline}) and survives restarts.
 * Ctrl-C stops everything it started, services first.
 *
 * <p>Configuration (environment variables): see {@link #usage()}.
 */
public final class LocalStack {

    /** A service module, its HTTP port (gRPC is served on the same port) and its database. */
    record Service(String module, int port, String database) {
    }

    static final List<Service> SERVICES = List.of(
            new Service("metric-registry", 8081, "plumbline_registry"),
            new Service("judge-service", 8082, "plumbline_judge"),
            new Service("annotation-service", 8083, "plumbline_annotation"),
            new Service("alignment-service", 8084, "plumbline_alignment"),
            // The console owns no data: no database; it reaches the services on the ports above (its defaults).
            new Service("console", 8080, null));

    private static final Duration SERVICE_STOP_GRACE = Duration.ofSeconds(30);
    private static final Duration KAFKA_STOP_GRACE = Duration.ofSeconds(60);
    /** Strong references keep the levels (JUL holds loggers weakly). */
    private static final List<Logger> QUIET = new ArrayList<>();

    private final Path repo;
    private final Path home;
    private final Path logs;
    private final Path run;
    private final String java;
    private final List<ChildProcess> services = new ArrayList<>();
    private final Map<String, String> serviceStatus = new LinkedHashMap<>();
    private ChildProcess kafka;
    private String bootstrap;
    private PostgresServer postgres;
    private LlmSelection llm;
    private LlmStandIn standIn;
    private DemoStandIn demoStandIn;
    private FileChannel lockChannel;
    private FileLock lock;
    private volatile boolean stopping;

    LocalStack(Path repo, Path home) {
        this.repo = repo;
        this.home = home;
        this.logs = home.resolve("logs");
        this.run = home.resolve("run");
        this.java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    public static void main(String[] args) {
        if (System.getProperty("java.util.logging.manager") == null) {
            // Before anything touches java.util.logging: JUL, SLF4J and the Log4j API then share one backend.
            System.setProperty("java.util.logging.manager", "org.jboss.logmanager.LogManager");
        }
        boolean demo = false;
        for (String arg : args) {
            if (arg.equals("-h") || arg.equals("--help")) {
                System.out.println(usage());
                return;
            }
            if (arg.equals("--demo")) {
                demo = true;
                continue;
            }
            System.err.println("Unknown argument: " + arg + "\n\n" + usage());
            System.exit(2);
        }
        quietLibraryLogs();
        Path repo = repoRoot();
        Path home = Path.of(env("PLUMBLINE_HOME", repo.resolve(".plumbline").toString())).toAbsolutePath().normalize();
        LocalStack stack = new LocalStack(repo, home);
        Runtime.getRuntime().addShutdownHook(new Thread(stack::stop, "plumbline-local-stop"));
        try {
            stack.start();
        } catch (RuntimeException e) {
            System.err.println("\nThe local stack did not start: " + e.getMessage());
            System.exit(1); // the shutdown hook stops whatever did start
        }
        if (demo) {
            stack.runDemo();
        }
        stack.waitUntilStopped();
    }

    static String usage() {
        return """
                Usage: deploy/local/run [--no-build] [--demo]   (or: java -cp ... io.plumbline.local.LocalStack [--demo])

                Starts Kafka, PostgreSQL and every packaged Plumbline service; Ctrl-C stops them all. --demo then
                creates the demo project's metrics and queues, streams the Northwind dataset as OTLP spans, imports its
                expert labels and lets the alignment policy start runs, printing progress.
                LLM (judge and reflection model), the first that applies:
                  OPENAI_API_KEY / OPENAI_BASE_URL  an OpenAI-compatible endpoint (base URL default api.openai.com/v1)
                  PLUMBLINE_JUDGE_MODEL          judge model (default $OPENAI_MODEL, else gpt-4o-mini; Ollama: its first)
                  PLUMBLINE_REFLECTION_MODEL     alignment reflection model (default $OPENAI_MODEL, else gpt-4o)
                  PLUMBLINE_OLLAMA_URL           a local Ollama, probed at start (default http://127.0.0.1:11434)
                  PLUMBLINE_LLM=stand-in         skip both: the LLM stand-in (rules, not a model), also the fallback
                  PLUMBLINE_STANDIN_PORT         port of the stand-in (default: a free one)
                Environment:
                  PLUMBLINE_HOME                 data, logs and pid files (default <repo>/.plumbline)
                  PLUMBLINE_KAFKA_PORT           Kafka bootstrap port (default 9092)
                  PLUMBLINE_KAFKA_CONTROLLER_PORT  KRaft controller port (default 9093)
                  PLUMBLINE_KAFKA_HEAP           Kafka JVM heap options (default "-Xms256m -Xmx1g")
                  PLUMBLINE_DB_URL               PostgreSQL to use: postgresql://user:pass@host:port/postgres or
                                                 jdbc:postgresql://host:port/postgres?user=..&password=..
                  PLUMBLINE_DB_USER / PLUMBLINE_DB_PASSWORD   override the URL's credentials
                  PLUMBLINE_DB_MODE              auto (default) | url | localhost | embedded
                  PLUMBLINE_PG_PORT              port of the embedded PostgreSQL (default: the previous run's,
                                                 else 5432 if free, else 5433, else any free port)
                  PLUMBLINE_SERVICES             comma-separated modules to start (default: all that are built)
                  PLUMBLINE_JAVA_OPTS            JVM options for the services (default none)
                  PLUMBLINE_READY_TIMEOUT        seconds to wait for each service's readiness (default 120)
                """;
    }

    // ---------------------------------------------------------------------------------------------------------------

    void start() {
        long t0 = System.nanoTime();
        System.out.println("Plumbline local stack, home " + home);
        createDirectories();
        acquireLock();

        stopLeftovers();
        startKafka();
        startPostgres();
        System.out.println("  creating topics");
        KafkaBroker.createTopics(bootstrap, KafkaBroker.platformTopics(), Duration.ofSeconds(60));
        selectLlm();
        startServices();
        awaitServices();
        if (stopping) {
            return; // Ctrl-C while starting: the shutdown hook is stopping everything
        }
        System.out.println();
        System.out.println(table());
        System.out.printf("Started in %.1f s. Press Ctrl-C to stop everything.%n", (System.nanoTime() - t0) / 1e9);
    }

    private void createDirectories() {
        try {
            for (Path dir : List.of(home, logs, run, home.resolve("kafka"), home.resolve("postgres"))) {
                Files.createDirectories(dir);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot create " + home + ": " + e.getMessage(), e);
        }
    }

    /** One stack per home: a second one would share (and corrupt) the same Kafka and PostgreSQL data. */
    private void acquireLock() {
        Path lockFile = run.resolve("stack.lock");
        try {
            lockChannel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.READ);
            lock = lockChannel.tryLock();
        } catch (IOException | OverlappingFileLockException e) {
            lock = null;
        }
        if (lock == null) {
            String owner = readQuietly(run.resolve("stack.pid"));
            throw new IllegalStateException("Another local stack is running with home " + home
                    + (owner.isBlank() ? "" : " (pid " + owner.trim() + ")")
                    + ". Stop it (Ctrl-C in its terminal) or use another PLUMBLINE_HOME.");
        }
        writeQuietly(run.resolve("stack.pid"), ProcessHandle.current().pid() + "\n");
    }

    /** Processes a previous run left behind because its JVM was killed (the lock proves no stack owns them now). */
    private void stopLeftovers() {
        for (Service service : SERVICES) {
            ChildProcess.stopLeftover(service.module(), run.resolve(service.module() + ".pid"), SERVICE_STOP_GRACE);
        }
        ChildProcess.stopLeftover("Kafka", run.resolve("kafka.pid"), KAFKA_STOP_GRACE);
        PostgresServer.stopOrphanedPostmaster(home.resolve("postgres").resolve("data"));
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Kafka

    private void startKafka() {
        int port = intEnv("PLUMBLINE_KAFKA_PORT", 9092);
        int controllerPort = intEnv("PLUMBLINE_KAFKA_CONTROLLER_PORT", 9093);
        bootstrap = "127.0.0.1:" + port;
        for (int p : List.of(port, controllerPort)) {
            if (!portFree(p)) {
                throw new IllegalStateException("Port " + p + " on 127.0.0.1 is already in use, so Kafka cannot listen "
                        + "there. Stop what uses it, or choose other ports with PLUMBLINE_KAFKA_PORT and "
                        + "PLUMBLINE_KAFKA_CONTROLLER_PORT.");
            }
        }
        Path kafkaDir = home.resolve("kafka");
        Path dataDir = kafkaDir.resolve("data");
        Path config = kafkaDir.resolve("server.properties");
        Properties props = KafkaBroker.serverProperties(port, controllerPort, dataDir, Map.of(
                // a workstation, not a test: the usual partition count of internal topics, a week of data
                "offsets.topic.num.partitions", "50",
                "transaction.state.log.num.partitions", "50",
                "log.retention.hours", "168"));
        KafkaBroker.writeProperties(props, config);
        if (KafkaBroker.formatStorageIfNeeded(config, dataDir)) {
            System.out.println("  formatted new Kafka storage in " + dataDir);
        }
        Path logging = kafkaDir.resolve("logging.properties");
        writeQuietly(logging, KAFKA_LOGGING);

        List<String> command = new ArrayList<>();
        command.add(java);
        command.addAll(splitOptions(env("PLUMBLINE_KAFKA_HEAP", "-Xms256m -Xmx1g")));
        command.add("-Djava.util.logging.manager=org.jboss.logmanager.LogManager");
        command.add("-Dlogging.configuration=" + logging.toUri());
        command.add("-Djava.awt.headless=true");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add("kafka.Kafka");
        command.add(config.toString());
        System.out.println("  starting Kafka on " + bootstrap + " (log " + logs.resolve("kafka.log") + ")");
        long t0 = System.nanoTime();
        kafka = ChildProcess.start("Kafka", command, kafkaDir, Map.of(), logs.resolve("kafka.log"),
                run.resolve("kafka.pid"));
        awaitKafka(port, Duration.ofSeconds(120));
        System.out.printf("  Kafka ready in %.1f s%n", (System.nanoTime() - t0) / 1e9);
    }

    private void awaitKafka(int kafkaPort, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        RuntimeException last = null;
        while (System.nanoTime() < deadline) {
            if (!kafka.isAlive()) {
                throw new IllegalStateException("Kafka exited with status " + kafka.process().exitValue()
                        + ". Last lines of " + kafka.logFile() + ":\n" + kafka.tail(30));
            }
            if (portFree(kafkaPort)) {
                kafka.awaitExit(Duration.ofMillis(250)); // not listening yet; ends at once if Kafka dies
                continue;
            }
            try {
                KafkaBroker.awaitReady(bootstrap, Duration.ofSeconds(3));
                return;
            } catch (IllegalStateException e) {
                last = e;
                kafka.awaitExit(Duration.ofMillis(250)); // pacing that ends at once if Kafka dies
            }
        }
        throw new IllegalStateException("Kafka did not answer on " + bootstrap + " within " + timeout.toSeconds()
                + " s (" + (last == null ? "" : last.getMessage()) + "). Last lines of " + kafka.logFile() + ":\n"
                + kafka.tail(30));
    }

    // ---------------------------------------------------------------------------------------------------------------
    // PostgreSQL

    private void startPostgres() {
        Path dataDir = home.resolve("postgres").resolve("data");
        Path portFile = home.resolve("postgres").resolve("port");
        int embeddedPort = intEnv("PLUMBLINE_PG_PORT", embeddedPortDefault(portFile));
        System.out.println("  looking for PostgreSQL (" + PostgresServer.ENV_URL + ", then 127.0.0.1:5432, then embedded)");
        long t0 = System.nanoTime();
        postgres = PostgresServer.resolve(dataDir, embeddedPort, logs.resolve("postgres.log"));
        System.out.printf("  using %s (%.1f s)%n", postgres, (System.nanoTime() - t0) / 1e9);
        if (postgres.source() != PostgresServer.Source.EMBEDDED && Files.exists(dataDir.resolve("PG_VERSION"))) {
            System.out.println("  note: " + dataDir + " holds data of an embedded PostgreSQL used by an earlier run; "
                    + "it is not used now (PLUMBLINE_DB_MODE=embedded would use it)");
        }
        if (postgres.source() == PostgresServer.Source.EMBEDDED) {
            writeQuietly(portFile, postgres.port() + "\n");
        }
        for (Service service : SERVICES) {
            if (service.database() != null) {
                postgres.ensureDatabase(service.database());
            }
        }
    }

    /** The embedded server's port of the previous run if free (a stable address), else 5432, 5433, any free one. */
    private static int embeddedPortDefault(Path portFile) {
        String previous = readQuietly(portFile).trim();
        if (previous.matches("\\d{1,5}") && portFree(Integer.parseInt(previous))) {
            return Integer.parseInt(previous);
        }
        return portFree(5432) ? 5432 : portFree(5433) ? 5433 : 0;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // LLM

    /**
     * The judge and reflection model: the environment's endpoint, else a local Ollama, else the stand-in in this JVM,
     * answering from the demo dataset's rules; said plainly, since its answers are scripted.
     */
    private void selectLlm() {
        llm = LlmSelection.select(System.getenv(), HttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(1)).build());
        if (llm.standIn()) {
            standIn = LlmStandIn.start(intEnv("PLUMBLINE_STANDIN_PORT", 0));
            demoStandIn = DemoStandIn.install(standIn, DemoDataset.load());
            System.out.println("  LLM: " + llm.explanation());
            System.out.println("  *** NOT A REAL LLM: the stand-in at " + standIn.baseUrl() + " answers judge and "
                    + "reflection prompts by rules. Set OPENAI_API_KEY (or run Ollama) for real judgments. ***");
        } else {
            System.out.println("  LLM: " + llm.explanation());
        }
    }

    /** The demo over the running stack (--demo); the stack keeps running afterwards. */
    private void runDemo() {
        for (String module : List.of("metric-registry", "judge-service", "annotation-service", "alignment-service")) {
            if (!"ready".equals(serviceStatus.get(module))) {
                System.out.println("\nThe demo needs every service; " + module + " is " + serviceStatus.get(module)
                        + ". The stack keeps running without the demo.");
                return;
            }
        }
        System.out.println("\nDemo: the Northwind Outfitters dataset in project \"" + DemoRun.PROJECT + "\", judged by "
                + llm.judgeModel() + (llm.standIn() ? " (scripted answers, not judgments)" : ""));
        try {
            DemoRun demo = new DemoRun(DemoDataset.load(), new DemoRun.Endpoints("127.0.0.1", 8081, 8082, 8083, 8084,
                    localReviewerKey()), new DemoRun.Models(llm.provider(), llm.judgeModel()), demoStandIn, System.out,
                    llm.standIn() ? Duration.ofMinutes(10) : Duration.ofMinutes(60));
            demo.run();
        } catch (RuntimeException e) {
            if (!stopping) {
                System.out.println("  the demo stopped: " + e + " (the stack keeps running)");
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Services

    private synchronized void startServices() {
        if (stopping) {
            throw new IllegalStateException("stopped while starting");
        }
        Set<String> wanted = selectedServices();
        for (Service service : SERVICES) {
            if (!wanted.contains(service.module())) {
                serviceStatus.put(service.module(), "not selected (PLUMBLINE_SERVICES)");
                continue;
            }
            Path moduleDir = repo.resolve(service.module());
            Path jar = moduleDir.resolve("target/quarkus-app/quarkus-run.jar");
            if (!Files.isRegularFile(jar)) {
                serviceStatus.put(service.module(), "not built");
                continue;
            }
            if (!portFree(service.port())) {
                serviceStatus.put(service.module(), "NOT STARTED: port " + service.port() + " is in use");
                continue;
            }
            Map<String, String> environment;
            if (service.database() == null) {
                environment = new LinkedHashMap<>(Map.of("QUARKUS_HTTP_PORT", String.valueOf(service.port()),
                        "QUARKUS_HTTP_HOST", "127.0.0.1"));
            } else {
                environment = PackagedService.environment(bootstrap, postgres.database(service.database()), service.port());
            }

            List<String> command = new ArrayList<>();
            command.add(java);
            command.addAll(splitOptions(env("PLUMBLINE_JAVA_OPTS", "")));
            if (service.module().equals("judge-service") || service.module().equals("alignment-service")) {
                Map<String, String> properties = new LinkedHashMap<>(llm.serviceProperties(
                        standIn == null ? null : standIn.baseUrl()));
                if (service.module().equals("alignment-service")) {
                    properties.putAll(llm.reflectionProperties());
                }
                properties.forEach((key, value) -> command.add("-D" + key + "=" + value));
                environment.putAll(llm.serviceEnvironment());
            }
            if (service.module().equals("annotation-service")) {
                // The local reviewer who signs in to the console (an admin, so imports and adjudication work too).
                command.add("-Dplumbline.reviewers.\"local\".api-key=" + localReviewerKey());
                command.add("-Dplumbline.reviewers.\"local\".display-name=Local reviewer");
                command.add("-Dplumbline.reviewers.\"local\".admin=true");
            }
            command.add("-jar");
            command.add(jar.toString());
            Path log = logs.resolve(service.module() + ".log");
            System.out.println("  starting " + service.module() + " on port " + service.port() + " (log " + log + ")");
            ChildProcess child = ChildProcess.start(service.module(), command, moduleDir, environment, log,
                    run.resolve(service.module() + ".pid"));
            services.add(child);
            serviceStatus.put(service.module(), "starting");
        }
    }

    private void awaitServices() {
        Duration timeout = Duration.ofSeconds(intEnv("PLUMBLINE_READY_TIMEOUT", 120));
        long deadline = System.nanoTime() + timeout.toNanos();
        for (ChildProcess child : services) {
            if (stopping) {
                return;
            }
            Service service = SERVICES.stream().filter(s -> s.module().equals(child.name())).findFirst().orElseThrow();
            URI ready = URI.create("http://127.0.0.1:" + service.port() + "/q/health/ready");
            String status = child.awaitReady(ready, deadline);
            serviceStatus.put(child.name(), status);
            if (!status.equals("ready")) {
                System.out.println("  " + child.name() + ": " + status + ". Last lines of " + child.logFile() + ":\n"
                        + child.tail(20).indent(4));
            } else {
                System.out.println("  " + child.name() + " ready");
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------------

    String table() {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[]{"COMPONENT", "LISTENS ON", "STATUS", "LOG"});
        rows.add(new String[]{"Kafka", bootstrap + " (bootstrap)", kafka != null && kafka.isAlive() ? "ready" : "DOWN",
                shortPath(logs.resolve("kafka.log"))});
        String pgStatus = postgres.source().name().toLowerCase(Locale.ROOT) + ", user " + postgres.user();
        rows.add(new String[]{"PostgreSQL", postgres.host() + ":" + postgres.port(), "ready (" + pgStatus + ")",
                postgres.source() == PostgresServer.Source.EMBEDDED ? shortPath(logs.resolve("postgres.log")) : "-"});
        if (llm != null) {
            rows.add(new String[]{"LLM", standIn != null ? standIn.baseUrl() : llm.baseUrl(),
                    llm.standIn() ? "STAND-IN, NOT A REAL LLM" : "ready (" + llm.source().name().toLowerCase(Locale.ROOT)
                            .replace('_', ' ') + ")", "judge " + llm.judgeModel() + ", reflection " + llm.reflectionModel()});
        }
        for (Service service : SERVICES) {
            String status = serviceStatus.getOrDefault(service.module(), "not started");
            boolean started = services.stream().anyMatch(c -> c.name().equals(service.module()));
            rows.add(new String[]{service.module(),
                    started ? "http://127.0.0.1:" + service.port() + " (HTTP + gRPC)" : "-",
                    status, started ? shortPath(logs.resolve(service.module() + ".log")) : "-"});
        }
        int[] widths = new int[4];
        for (String[] row : rows) {
            for (int i = 0; i < 4; i++) {
                widths[i] = Math.max(widths[i], row[i].length());
            }
        }
        StringBuilder sb = new StringBuilder();
        for (String[] row : rows) {
            sb.append("  ");
            for (int i = 0; i < 4; i++) {
                sb.append(i < 3 ? String.format("%-" + (widths[i] + 2) + "s", row[i]) : row[i]);
            }
            sb.append('\n');
        }
        List<String> notBuilt = SERVICES.stream().map(Service::module)
                .filter(m -> "not built".equals(serviceStatus.get(m))).toList();
        if (!notBuilt.isEmpty()) {
            sb.append("\n  Not built: ").append(String.join(", ", notBuilt))
                    .append(" (no <module>/target/quarkus-app/quarkus-run.jar; deploy/local/run builds them)");
        }
        if (services.stream().anyMatch(c -> c.name().equals("console"))) {
            sb.append("\n  Console:   http://127.0.0.1:8080, sign in with the key ").append(localReviewerKey())
                    .append(" (reviewer \"local\")");
        }
        sb.append("\n  Databases: ").append(SERVICES.stream().map(Service::database).filter(Objects::nonNull)
                        .collect(Collectors.joining(", ")))
                .append("\n  psql:      psql -h ").append(postgres.host()).append(" -p ").append(postgres.port())
                .append(" -U ").append(postgres.user()).append(' ').append(SERVICES.get(0).database())
                .append("\n  Data:      ").append(home);
        return sb.toString();
    }

    /** The local reviewer's API key: made once, kept in the data directory so that it survives restarts. */
    private String localReviewerKey() {
        Path file = home.resolve("console-api-key");
        try {
            if (!Files.exists(file)) {
                Files.createDirectories(home);
                Files.writeString(file, "local-" + UUID.randomUUID().toString().replace("-", "").substring(0, 16) + "\n");
            }
            return Files.readString(file).strip();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot keep the console key in " + file, e);
        }
    }

    private void waitUntilStopped() {
        // Report a child that dies on its own; Kafka dying takes the stack down (nothing works without it).
        for (ChildProcess child : services) {
            child.process().onExit().thenRun(() -> {
                if (!stopping) {
                    System.out.println("\n" + child.name() + " exited (status " + child.process().exitValue()
                            + "); see " + child.logFile());
                }
            });
        }
        kafka.process().onExit().thenRun(() -> {
            if (!stopping) {
                System.out.println("\nKafka exited (status " + kafka.process().exitValue() + "); see "
                        + kafka.logFile() + ". Stopping the stack.");
                System.exit(1);
            }
        });
        try {
            new CountDownLatch(1).await(); // until Ctrl-C: the shutdown hook does the rest
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stops what this run started: services, then Kafka, then an embedded PostgreSQL. Idempotent. */
    synchronized void stop() {
        if (stopping) {
            return;
        }
        stopping = true;
        if (lock == null) {
            return; // nothing of ours runs
        }
        System.out.println("\nStopping the local stack");
        for (ChildProcess child : services.reversed()) {
            if (child.isAlive()) {
                System.out.println("  stopping " + child.name());
            }
            child.stop(SERVICE_STOP_GRACE);
        }
        if (kafka != null) {
            System.out.println("  stopping Kafka");
            kafka.stop(KAFKA_STOP_GRACE);
        }
        if (postgres != null && postgres.source() == PostgresServer.Source.EMBEDDED) {
            System.out.println("  stopping the embedded PostgreSQL");
            postgres.close();
        }
        if (standIn != null) {
            standIn.close();
        }
        try {
            Files.deleteIfExists(run.resolve("stack.pid"));
            lock.release();
            lockChannel.close();
        } catch (IOException ignored) {
            // exiting anyway
        }
        System.out.println("  stopped; data kept in " + home);
    }

    // ---------------------------------------------------------------------------------------------------------------

    private Set<String> selectedServices() {
        String value = env("PLUMBLINE_SERVICES", "");
        if (value.isBlank()) {
            return SERVICES.stream().map(Service::module).collect(Collectors.toSet());
        }
        Set<String> selected = Set.of(value.trim().split("\\s*,\\s*"));
        for (String module : selected) {
            if (SERVICES.stream().noneMatch(s -> s.module().equals(module))) {
                throw new IllegalStateException("PLUMBLINE_SERVICES names an unknown module: " + module + " (known: "
                        + SERVICES.stream().map(Service::module).collect(Collectors.joining(", ")) + ")");
            }
        }
        return selected;
    }

    private String shortPath(Path path) {
        Path cwd = Path.of("").toAbsolutePath();
        return path.startsWith(cwd) ? cwd.relativize(path).toString() : path.toString();
    }

    /** The repository (see {@link PackagedService#repoRoot()}). */
    static Path repoRoot() {
        return PackagedService.repoRoot();
    }

    static boolean portFree(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 300);
            return false; // something answers
        } catch (IOException e) {
            // nothing answers on 127.0.0.1: can we bind it?
        }
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Client and library chatter (Kafka admin client configs, embedded PostgreSQL) stays out of the terminal. */
    private static void quietLibraryLogs() {
        for (String category : List.of("org.apache.kafka", "kafka", "io.zonky", "org.postgresql")) {
            Logger logger = Logger.getLogger(category);
            // Failures reach the user as exceptions with a message; connection retries while Kafka starts are noise.
            logger.setLevel(Level.SEVERE);
            QUIET.add(logger);
        }
    }

    private static List<String> splitOptions(String options) {
        return options.isBlank() ? List.of() : List.of(options.trim().split("\\s+"));
    }

    private static String env(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : value;
    }

    private static int intEnv(String name, int fallback) {
        String value = System.getenv(name);
        if (value == null || value.isBlank()) {
            return fallback;
        }
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalStateException(name + " must be a number, not " + value);
        }
    }

    private static String readQuietly(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    private static void writeQuietly(Path file, String content) {
        try {
            Files.writeString(file, content, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /** JBoss Log Manager configuration of the Kafka JVM: INFO to its output (the log file), chatty categories WARN. */
    private static final String KAFKA_LOGGING = """
            loggers=org.apache.kafka.clients,org.apache.kafka.common.config,kafka.request.logger,org.apache.kafka.controller
            logger.level=INFO
            logger.handlers=CONSOLE
            logger.org.apache.kafka.clients.level=WARN
            logger.org.apache.kafka.common.config.level=WARN
            logger.kafka.request.logger.level=WARN
            logger.org.apache.kafka.controller.level=INFO
            handler.CONSOLE=org.jboss.logmanager.handlers.ConsoleHandler
            handler.CONSOLE.properties=autoFlush,target
            handler.CONSOLE.autoFlush=true
            handler.CONSOLE.target=SYSTEM_OUT
            handler.CONSOLE.formatter=PATTERN
            formatter.PATTERN=org.jboss.logmanager.formatters.PatternFormatter
            formatter.PATTERN.properties=pattern
            formatter.PATTERN.pattern=%d{yyyy-MM-dd HH:mm:ss,SSS} %-5p [%c] (%t) %s%e%n
            """;
}
