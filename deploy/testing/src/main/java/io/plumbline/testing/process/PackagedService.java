package io.plumbline.testing.process;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.plumbline.testing.KafkaBroker;
import io.plumbline.testing.PostgresServer;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One of our services as it ships: its packaged application ({@code quarkus-run.jar}) in a child process of its own,
 * on a free port (HTTP and gRPC), with a fresh database of its own on {@link PostgresServer#shared()} and the JVM's
 * shared Kafka broker ({@link KafkaBroker#shared()}).
 *
 * <pre>{@code
 * try (PackagedService judge = PackagedService.start("judge-service",
 *         Map.of("plumbline.llm.providers.patient.base-url", standIn.baseUrl()))) {
 *     JudgeGrpc.newBlockingStub(judge.channel()).evaluate(...);
 * }
 * }</pre>
 *
 * <p>The application is {@code <repo>/<module>/target/quarkus-app/quarkus-run.jar}, or, when the system property
 * {@value #APPS_DIR} names a directory, {@code <that dir>/<module>/quarkus-run.jar}. The extra configuration is passed
 * as system properties ({@code -Dkey=value}); JVM options come from the system property {@value #JAVA_OPTS}. The
 * output goes to {@code target/packaged-services/<module>-<port>.log} of the working directory. Every service still
 * running when the JVM exits is stopped.
 */
public final class PackagedService implements AutoCloseable {

    /** System property: a directory holding {@code <module>/quarkus-run.jar} for every module. */
    public static final String APPS_DIR = "plumbline.apps.dir";
    /** System property: JVM options of the services (default {@value #DEFAULT_JAVA_OPTS}). */
    public static final String JAVA_OPTS = "plumbline.apps.java-opts";
    static final String DEFAULT_JAVA_OPTS = "-Xmx512m";

    private static final Duration READY_TIMEOUT = Duration.ofSeconds(180);
    private static final Duration STOP_GRACE = Duration.ofSeconds(30);
    private static final Set<PackagedService> RUNNING = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> RUNNING.forEach(PackagedService::stop),
                "plumbline-packaged-services-stop"));
    }

    private final String module;
    private final Path jar;
    private final int port;
    private final PostgresServer.Database database;
    private final Map<String, String> config;
    private final Path logFile;
    private ChildProcess process;
    private ManagedChannel channel;
    private boolean closed;

    private PackagedService(String module, Path jar, int port, PostgresServer.Database database,
            Map<String, String> config) {
        this.module = module;
        this.jar = jar;
        this.port = port;
        this.database = database;
        this.config = Map.copyOf(config);
        Path dir = Path.of("target", "packaged-services").toAbsolutePath();
        this.logFile = dir.resolve(module + "-" + port + ".log");
    }

    /** Starts {@code module}'s packaged application with {@code config} added, and waits until it is ready. */
    public static PackagedService start(String module, Map<String, String> config) {
        return start(module, application(module), config);
    }

    /** Starts the packaged application {@code jar} (a {@code quarkus-run.jar}) as {@code module}. */
    public static PackagedService start(String module, Path jar, Map<String, String> config) {
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("No packaged " + module + " at " + jar + ": build it ("
                    + "./mvnw -pl " + module + " package -DskipTests), or point -D" + APPS_DIR
                    + " at a directory holding <module>/quarkus-run.jar");
        }
        KafkaBroker broker = KafkaBroker.shared();
        if (!broker.isRunning()) {
            broker.start();
        }
        broker.createTopics();
        PostgresServer.Database database = PostgresServer.shared().createDatabase(module.replace('-', '_'));
        PackagedService service = new PackagedService(module, jar, KafkaBroker.freePort(), database, config);
        service.launch();
        return service;
    }

    /** Where {@code module}'s packaged application is: see the class comment. */
    public static Path application(String module) {
        String apps = System.getProperty(APPS_DIR);
        if (apps != null && !apps.isBlank()) {
            return Path.of(apps).toAbsolutePath().resolve(module).resolve("quarkus-run.jar");
        }
        return repoRoot().resolve(module).resolve("target/quarkus-app/quarkus-run.jar");
    }

    /**
     * The environment that points a packaged service at Kafka, its database and its port, with gRPC served on the
     * HTTP port (several services on one machine must not all claim the separate server's 9000).
     */
    public static Map<String, String> environment(String bootstrapServers, PostgresServer.Database database, int port) {
        Map<String, String> environment = new LinkedHashMap<>();
        environment.put("KAFKA_BOOTSTRAP_SERVERS", bootstrapServers);
        environment.put("QUARKUS_DATASOURCE_REACTIVE_URL", database.reactiveUrl());
        environment.put("QUARKUS_DATASOURCE_JDBC_URL", database.jdbcUrl());
        environment.put("QUARKUS_DATASOURCE_USERNAME", database.user());
        environment.put("QUARKUS_DATASOURCE_PASSWORD", database.password());
        environment.put("QUARKUS_HTTP_PORT", String.valueOf(port));
        environment.put("QUARKUS_HTTP_HOST", "127.0.0.1");
        environment.put("QUARKUS_GRPC_SERVER_USE_SEPARATE_SERVER", "false");
        return environment;
    }

    private synchronized void launch() {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        String options = System.getProperty(JAVA_OPTS, DEFAULT_JAVA_OPTS);
        if (!options.isBlank()) {
            command.addAll(List.of(options.trim().split("\\s+")));
        }
        config.forEach((key, value) -> command.add("-D" + key + "=" + value));
        command.add("-jar");
        command.add(jar.toString());
        Map<String, String> environment = environment(KafkaBroker.shared().bootstrapServers(), database, port);
        process = ChildProcess.start(module, command, jar.getParent(), environment, logFile,
                logFile.resolveSibling(module + "-" + port + ".pid"));
        RUNNING.add(this);
        String status = process.awaitReady(URI.create(baseUrl() + "/q/health/ready"),
                System.nanoTime() + READY_TIMEOUT.toNanos());
        if (!status.equals("ready")) {
            String tail = process.tail(40);
            process.stop(STOP_GRACE);
            RUNNING.remove(this);
            throw new IllegalStateException(module + " did not become ready on port " + port + ": " + status
                    + ". Last lines of " + logFile + ":\n" + tail);
        }
    }

    /** Stops it (SIGTERM, then SIGKILL after a grace period). Idempotent. */
    public synchronized void stop() {
        closeChannel();
        if (process != null) {
            process.stop(STOP_GRACE);
        }
        RUNNING.remove(this);
    }

    /** Kills it at once (SIGKILL), as a crash would. */
    public synchronized void kill() {
        closeChannel();
        if (process != null) {
            process.kill();
        }
        RUNNING.remove(this);
    }

    /** Stops it if it runs, then starts it again on the same port with the same database and configuration. */
    public synchronized void restart() {
        stop();
        launch();
    }

    /**
     * Stops it and drops its database, unless {@link PostgresServer#keepDatabases()}: the end of its use (a stopped
     * service keeps its database for {@link #restart()}). Idempotent.
     */
    @Override
    public synchronized void close() {
        stop();
        if (!closed) {
            closed = true;
            if (!PostgresServer.keepDatabases()) {
                try {
                    PostgresServer.shared().dropDatabase(database.name());
                } catch (RuntimeException e) { // the tests' outcome stands; a database left behind is only noted
                    System.err.println("[plumbline-testing] could not drop " + database.name() + ": " + e.getMessage());
                }
            }
        }
    }

    public String module() {
        return module;
    }

    /** HTTP and gRPC port on 127.0.0.1. */
    public int port() {
        return port;
    }

    /** {@code http://127.0.0.1:<port>}, the base of its REST API. */
    public String baseUrl() {
        return "http://127.0.0.1:" + port;
    }

    /** {@code 127.0.0.1:<port>}, a gRPC target. */
    public String grpcTarget() {
        return "127.0.0.1:" + port;
    }

    /** A plaintext gRPC channel to it, made on first use and shut down by stop, kill and restart. */
    public synchronized ManagedChannel channel() {
        if (channel == null) {
            channel = ManagedChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
        }
        return channel;
    }

    /** Its own database. */
    public PostgresServer.Database database() {
        return database;
    }

    /** Its output (standard output and error). */
    public Path logFile() {
        return logFile;
    }

    /** The last {@code lines} lines of its output. */
    public String logTail(int lines) {
        return process == null ? "" : process.tail(lines);
    }

    public synchronized boolean isAlive() {
        return process != null && process.isAlive();
    }

    @Override
    public String toString() {
        return module + " on " + baseUrl() + " (log " + logFile + ")";
    }

    private static boolean isParentPom(String pom) {
        return pom.contains("<artifactId>plumbline-parent</artifactId>") && pom.contains("<modules>");
    }

    private void closeChannel() {
        if (channel != null) {
            channel.shutdownNow();
            channel = null;
        }
    }

    /**
     * The repository: system property {@code plumbline.repo}, else the nearest directory up whose pom is the parent
     * pom (the modules' poms name it too, as their parent, so it must also list modules).
     */
    public static Path repoRoot() {
        String property = System.getProperty("plumbline.repo");
        if (property != null && !property.isBlank()) {
            return Path.of(property).toAbsolutePath().normalize();
        }
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path pom = dir.resolve("pom.xml");
            try {
                if (Files.isRegularFile(pom) && isParentPom(Files.readString(pom))) {
                    return dir;
                }
            } catch (java.io.IOException ignored) {
                // keep looking
            }
        }
        return Path.of("").toAbsolutePath();
    }
}
