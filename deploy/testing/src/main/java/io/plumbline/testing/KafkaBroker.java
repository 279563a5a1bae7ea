package io.plumbline.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.utils.Time;

import io.plumbline.common.kafka.Topic;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;

/**
 * A real Apache Kafka broker (single node, KRaft: broker and controller in one) running inside this JVM, on free
 * ports of 127.0.0.1 and a temporary log directory.
 *
 * <p>{@link #shared()} is the broker of the whole test JVM: started on first use, stopped (and its directory
 * deleted) when the JVM exits. {@link #stop()} and {@link #start()} take it down and bring it back on the same ports
 * with the same data, so tests can simulate an outage. Topics are not created automatically
 * ({@code auto.create.topics.enable=false}): {@link #createTopics()} creates the platform's topics with their real
 * partition counts.
 *
 * <pre>{@code
 * KafkaBroker broker = KafkaBroker.shared();
 * broker.createTopics();
 * String bootstrap = broker.bootstrapServers();
 * }</pre>
 */
public final class KafkaBroker implements AutoCloseable {

    /** How long a start (format, startup, first answer to describeCluster) may take before it fails. */
    public static final Duration START_TIMEOUT = Duration.ofSeconds(90);

    private static final String SHARED_NAME = "KafkaBroker";
    private static final List<String> NOISY_LOG_CATEGORIES = List.of("kafka", "org.apache.kafka", "state.change.logger");
    /** Strong references: JUL keeps loggers weakly, a collected logger forgets its level. */
    private static final List<Logger> QUIETED = new ArrayList<>();

    private static KafkaBroker shared;

    /** Set when this JVM owns the broker; null for a view of a broker owned by another class loader. */
    private final Local local;
    private final JvmShared.Remote remote;

    private KafkaBroker(Local local) {
        this.local = local;
        this.remote = null;
    }

    private KafkaBroker(JvmShared.Remote remote) {
        this.local = null;
        this.remote = remote;
    }

    /**
     * The broker of this JVM, started on first use; a JVM shutdown hook stops it and deletes its directory. Every
     * class loader of the JVM (Quarkus test resources, test code, plain JUnit) gets the same broker. Later calls do
     * not restart a broker a test has {@link #stop() stopped}.
     */
    public static synchronized KafkaBroker shared() {
        if (shared == null) {
            JvmShared.Remote existing = JvmShared.lookup(SHARED_NAME);
            if (existing == null && JvmShared.createInSystemClassLoader(KafkaBroker.class, "shared")) {
                existing = JvmShared.lookup(SHARED_NAME);
            }
            if (existing != null) {
                shared = new KafkaBroker(existing);
            } else {
                Local owner = new Local(Map.of());
                if (JvmShared.register(SHARED_NAME, owner::call)) {
                    Runtime.getRuntime().addShutdownHook(new Thread(owner::close, "plumbline-kafka-broker-stop"));
                    shared = new KafkaBroker(owner);
                } else {
                    shared = new KafkaBroker(JvmShared.lookup(SHARED_NAME));
                }
            }
        }
        shared.call("startOnce");
        return shared;
    }

    /** A new broker of its own, not started; {@link #close()} it. */
    public static KafkaBroker create() {
        return create(Map.of());
    }

    /**
     * A new broker of its own, not started, with server properties added to or replacing the defaults of
     * {@link #serverProperties}; {@link #close()} it.
     */
    public static KafkaBroker create(Map<String, String> serverPropertyOverrides) {
        return new KafkaBroker(new Local(serverPropertyOverrides));
    }

    /**
     * Starts the broker: the first time on two free ports and a fresh temporary directory; after {@link #stop()} on
     * the same ports with the same data. Returns when the broker answers {@code describeCluster}. Does nothing if it
     * is running.
     */
    public KafkaBroker start() {
        call("start");
        return this;
    }

    /** Stops the broker (controlled shutdown), keeping ports and data for {@link #start()}. Does nothing if stopped. */
    public void stop() {
        call("stop");
    }

    public boolean isRunning() {
        return Boolean.parseBoolean(call("running"));
    }

    /** {@code 127.0.0.1:<port>}; stays the same across {@link #stop()} and {@link #start()}. */
    public String bootstrapServers() {
        return call("bootstrap");
    }

    public int port() {
        return Integer.parseInt(call("port"));
    }

    public int controllerPort() {
        return Integer.parseInt(call("controllerPort"));
    }

    /** The broker's log (data) directory. */
    public Path logDir() {
        return Path.of(call("logDir"));
    }

    /**
     * Creates every {@link Topic} and its dead-letter twin with the topic's partition count; idempotent. The broker
     * must be running.
     */
    public void createTopics() {
        createTopics(bootstrapServers(), platformTopics(), Duration.ofSeconds(60));
    }

    /** Creates the given topics (name to partition count, replication factor 1); idempotent. */
    public void createTopics(Map<String, Integer> partitionsByTopic) {
        createTopics(bootstrapServers(), partitionsByTopic, Duration.ofSeconds(60));
    }

    /** Admin, producer and consumer base properties for this broker ({@code bootstrap.servers}). */
    public Map<String, Object> clientProperties() {
        Map<String, Object> props = new HashMap<>();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        return props;
    }

    /**
     * Stops the broker and deletes its directory. Closing {@link #shared()} is refused: the JVM shutdown hook does
     * that.
     */
    @Override
    public void close() {
        if (local == null || this == shared) {
            throw new IllegalStateException("The shared broker is closed when the JVM exits");
        }
        local.close();
    }

    @Override
    public String toString() {
        return "KafkaBroker[" + call("describe") + "]";
    }

    private String call(String operation) {
        return local != null ? local.call(operation) : remote.call(operation);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Reused by the local stack: configuration, storage format, topics, log levels.

    /** Every platform topic and its dead-letter twin, with the topic's partition count, in declaration order. */
    public static Map<String, Integer> platformTopics() {
        Map<String, Integer> topics = new LinkedHashMap<>();
        for (Topic topic : Topic.values()) {
            topics.put(topic.topicName(), topic.partitions());
            topics.put(topic.deadLetterTopicName(), topic.partitions());
        }
        return topics;
    }

    /**
     * The properties of a single-node KRaft server (broker and controller) listening on 127.0.0.1: PLAINTEXT on
     * {@code port}, CONTROLLER on {@code controllerPort}, data in {@code logDir}, replication factor 1 for internal
     * topics, no automatic topic creation. {@code overrides} are applied last.
     */
    public static Properties serverProperties(int port, int controllerPort, Path logDir, Map<String, String> overrides) {
        Properties props = new Properties();
        props.setProperty("process.roles", "broker,controller");
        props.setProperty("node.id", "1");
        props.setProperty("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
        props.setProperty("listeners", "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort);
        props.setProperty("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port);
        props.setProperty("controller.listener.names", "CONTROLLER");
        props.setProperty("inter.broker.listener.name", "PLAINTEXT");
        props.setProperty("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        props.setProperty("log.dirs", logDir.toAbsolutePath().toString());
        props.setProperty("num.partitions", "1");
        props.setProperty("auto.create.topics.enable", "false");
        props.setProperty("offsets.topic.replication.factor", "1");
        props.setProperty("offsets.topic.num.partitions", "10");
        props.setProperty("transaction.state.log.replication.factor", "1");
        props.setProperty("transaction.state.log.min.isr", "1");
        props.setProperty("transaction.state.log.num.partitions", "10");
        props.setProperty("share.coordinator.state.topic.replication.factor", "1");
        props.setProperty("share.coordinator.state.topic.min.isr", "1");
        props.setProperty("group.initial.rebalance.delay.ms", "0");
        props.setProperty("num.network.threads", "2");
        props.setProperty("num.io.threads", "4");
        props.setProperty("num.recovery.threads.per.data.dir", "1");
        props.setProperty("log.cleaner.threads", "1");
        props.setProperty("log.cleaner.dedupe.buffer.size", String.valueOf(8 * 1024 * 1024));
        overrides.forEach(props::setProperty);
        return props;
    }

    /** Writes {@code props} to {@code file} (a {@code server.properties}). */
    public static void writeProperties(Properties props, Path file) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            try (Writer out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
                props.store(out, "Plumbline single-node KRaft broker");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write " + file, e);
        }
    }

    /**
     * Formats the KRaft storage described by {@code serverProperties} (kafka-storage format) unless its log
     * directory already has a {@code meta.properties}. Returns true if it formatted.
     */
    public static boolean formatStorageIfNeeded(Path serverProperties, Path logDir) {
        if (Files.exists(logDir.resolve("meta.properties"))) {
            return false;
        }
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        int status;
        try (PrintStream out = new PrintStream(output, true, StandardCharsets.UTF_8)) {
            status = StorageTool.execute(new String[]{
                    "format", "-t", Uuid.randomUuid().toString(), "-c", serverProperties.toAbsolutePath().toString()},
                    out);
        } catch (Exception e) {
            throw new IllegalStateException("Formatting Kafka storage in " + logDir + " failed: " + e
                    + "\n" + output.toString(StandardCharsets.UTF_8), e);
        }
        if (status != 0) {
            throw new IllegalStateException("Formatting Kafka storage in " + logDir + " failed (status " + status
                    + "):\n" + output.toString(StandardCharsets.UTF_8));
        }
        return true;
    }

    /**
     * Creates the given topics on the broker at {@code bootstrapServers} (replication factor 1) unless they exist;
     * adds partitions to an existing topic that has fewer. Retries until {@code timeout} while the broker is not
     * ready to create topics yet.
     */
    public static void createTopics(String bootstrapServers, Map<String, Integer> partitionsByTopic, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (Admin admin = admin(bootstrapServers)) {
            while (true) {
                try {
                    createMissingTopics(admin, partitionsByTopic, deadline);
                    return;
                } catch (ExecutionException | TimeoutException e) {
                    Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("Cannot create topics on " + bootstrapServers + " within "
                                + timeout + ": " + cause, cause);
                    }
                    // Not ready yet (e.g. broker still fenced): the next round asks again; admin calls block up to
                    // their own timeout, so this loop never spins.
                    awaitQuietly(admin, Duration.ofMillis(200));
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while creating topics", e);
        }
    }

    /** Lowers the broker's log categories ({@code kafka}, {@code org.apache.kafka}, {@code state.change.logger}) to WARN. */
    public static synchronized void quietBrokerLogs() {
        if (Boolean.parseBoolean(System.getProperty("plumbline.kafka.verbose",
                System.getenv().getOrDefault("PLUMBLINE_KAFKA_VERBOSE", "false")))) {
            return;
        }
        for (String category : NOISY_LOG_CATEGORIES) {
            Logger logger = Logger.getLogger(category);
            logger.setLevel(Level.WARNING);
            QUIETED.add(logger);
        }
        // Log4j 2 core, when it is the SLF4J backend (plain JUnit with log4j-slf4j2-impl): reflective, optional.
        try {
            Class<?> configurator = Class.forName("org.apache.logging.log4j.core.config.Configurator");
            Class<?> levelType = Class.forName("org.apache.logging.log4j.Level");
            Object warn = levelType.getField("WARN").get(null);
            for (String category : NOISY_LOG_CATEGORIES) {
                configurator.getMethod("setLevel", String.class, levelType).invoke(null, category, warn);
            }
        } catch (ReflectiveOperationException | LinkageError ignored) {
            // no log4j-core: nothing to do
        }
    }

    /** Log category settings that keep a Quarkus application's log free of broker chatter. */
    public static Map<String, String> quietLogConfig() {
        Map<String, String> config = new LinkedHashMap<>();
        for (String category : NOISY_LOG_CATEGORIES) {
            config.put("quarkus.log.category.\"" + category + "\".level", "WARN");
        }
        return config;
    }

    /** A free TCP port on 127.0.0.1 at the time of the call. */
    public static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("No free port", e);
        }
    }

    /**
     * Waits until the broker at {@code bootstrapServers} answers {@code describeCluster} with at least one node;
     * throws when {@code timeout} passes first.
     */
    public static void awaitReady(String bootstrapServers, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Throwable last = null;
        try (Admin admin = admin(bootstrapServers)) {
            while (System.nanoTime() < deadline) {
                long remainingMs = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
                try {
                    var nodes = admin.describeCluster().nodes().get(Math.min(remainingMs, 5_000), TimeUnit.MILLISECONDS);
                    if (!nodes.isEmpty()) {
                        return;
                    }
                } catch (ExecutionException e) {
                    last = e.getCause();
                    awaitQuietly(admin, Duration.ofMillis(Math.min(remainingMs, 200)));
                } catch (TimeoutException e) {
                    last = e;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while waiting for Kafka at " + bootstrapServers, e);
        }
        throw new IllegalStateException("Kafka at " + bootstrapServers + " did not answer within " + timeout
                + (last == null ? "" : ": " + last), last);
    }

    static Admin admin(String bootstrapServers) {
        Map<String, Object> props = new HashMap<>();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000);
        props.put(AdminClientConfig.RECONNECT_BACKOFF_MS_CONFIG, 100);
        props.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 500);
        props.put(AdminClientConfig.RETRY_BACKOFF_MS_CONFIG, 100);
        props.put(AdminClientConfig.CLIENT_ID_CONFIG, "plumbline-testing-admin");
        return Admin.create(props);
    }

    private static void createMissingTopics(Admin admin, Map<String, Integer> wanted, long deadlineNanos)
            throws ExecutionException, TimeoutException, InterruptedException {
        long waitMs = Math.max(1_000, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime()));
        Set<String> existing = admin.listTopics().names().get(waitMs, TimeUnit.MILLISECONDS);
        List<NewTopic> missing = new ArrayList<>();
        List<String> present = new ArrayList<>();
        wanted.forEach((name, partitions) -> {
            if (existing.contains(name)) {
                present.add(name);
            } else {
                missing.add(new NewTopic(name, partitions, (short) 1));
            }
        });
        if (!missing.isEmpty()) {
            var results = admin.createTopics(missing).values();
            for (var entry : results.entrySet()) {
                try {
                    entry.getValue().get(waitMs, TimeUnit.MILLISECONDS);
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e;
                    }
                }
            }
        }
        if (!present.isEmpty()) {
            Map<String, TopicDescription> descriptions =
                    admin.describeTopics(present).allTopicNames().get(waitMs, TimeUnit.MILLISECONDS);
            Map<String, NewPartitions> grow = new HashMap<>();
            for (String name : present) {
                int has = descriptions.get(name).partitions().size();
                if (has < wanted.get(name)) {
                    grow.put(name, NewPartitions.increaseTo(wanted.get(name)));
                }
            }
            if (!grow.isEmpty()) {
                admin.createPartitions(grow).all().get(waitMs, TimeUnit.MILLISECONDS);
            }
        }
    }

    /** Blocks up to {@code pause} on a metadata call: a bounded wait with a purpose instead of a sleep. */
    private static void awaitQuietly(Admin admin, Duration pause) throws InterruptedException {
        try {
            admin.describeCluster().nodes().get(pause.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException ignored) {
            // only pacing the retry loop
        }
    }

    // ---------------------------------------------------------------------------------------------------------------

    /** The broker owned by this class loader. */
    private static final class Local {
        private final Map<String, String> overrides;
        private Path root;
        private Path logDir;
        private Path configFile;
        private int port;
        private int controllerPort;
        private KafkaRaftServer server;
        private boolean everStarted;

        Local(Map<String, String> overrides) {
            this.overrides = Map.copyOf(overrides);
        }

        /**
         * Runs an operation with this class's loader as the thread context class loader: Kafka instantiates classes
         * by name through it, and its threads inherit it. A caller from a Quarkus class loader must not leak its own.
         */
        synchronized String call(String operation) {
            Thread thread = Thread.currentThread();
            ClassLoader callers = thread.getContextClassLoader();
            thread.setContextClassLoader(KafkaBroker.class.getClassLoader());
            try {
                return dispatch(operation);
            } finally {
                thread.setContextClassLoader(callers);
            }
        }

        private String dispatch(String operation) {
            return switch (operation) {
                case "startOnce" -> {
                    if (!everStarted) {
                        start();
                    }
                    yield "";
                }
                case "start" -> {
                    start();
                    yield "";
                }
                case "stop" -> {
                    stop();
                    yield "";
                }
                case "running" -> String.valueOf(server != null);
                case "bootstrap" -> "127.0.0.1:" + requireStartedOnce().port;
                case "port" -> String.valueOf(requireStartedOnce().port);
                case "controllerPort" -> String.valueOf(requireStartedOnce().controllerPort);
                case "logDir" -> requireStartedOnce().logDir.toString();
                case "describe" -> everStarted
                        ? "127.0.0.1:" + port + (server != null ? " running" : " stopped") + ", " + logDir
                        : "not started";
                default -> throw new IllegalArgumentException("Unknown operation " + operation);
            };
        }

        private Local requireStartedOnce() {
            if (!everStarted) {
                throw new IllegalStateException("The broker has not been started yet");
            }
            return this;
        }

        private void start() {
            if (server != null) {
                return;
            }
            quietBrokerLogs();
            if (!everStarted) {
                startFirstTime();
            } else {
                startServer();
            }
            everStarted = true;
        }

        private void startFirstTime() {
            RuntimeException failure = null;
            // Free ports can be taken between the check and the bind: a few attempts with new ports.
            for (int attempt = 0; attempt < 3; attempt++) {
                try {
                    root = Files.createTempDirectory("plumbline-kafka-");
                    logDir = root.resolve("data");
                    configFile = root.resolve("server.properties");
                    port = freePort();
                    controllerPort = freePort();
                    while (controllerPort == port) {
                        controllerPort = freePort();
                    }
                    writeProperties(serverProperties(port, controllerPort, logDir, overrides), configFile);
                    formatStorageIfNeeded(configFile, logDir);
                    startServer();
                    return;
                } catch (IOException e) {
                    failure = new UncheckedIOException(e);
                } catch (RuntimeException e) {
                    failure = e;
                }
                deleteRoot();
            }
            throw failure;
        }

        private void startServer() {
            Properties props = serverProperties(port, controllerPort, logDir, overrides);
            KafkaRaftServer candidate = new KafkaRaftServer(new KafkaConfig(props), Time.SYSTEM);
            try {
                candidate.startup();
                awaitReady("127.0.0.1:" + port, START_TIMEOUT);
            } catch (RuntimeException e) {
                shutdown(candidate);
                throw new IllegalStateException("Kafka broker on 127.0.0.1:" + port + " (controller " + controllerPort
                        + ", data " + logDir + ") did not start: " + e.getMessage(), e);
            }
            server = candidate;
        }

        private void stop() {
            if (server != null) {
                KafkaRaftServer running = server;
                server = null;
                shutdown(running);
            }
        }

        synchronized void close() {
            Thread thread = Thread.currentThread();
            ClassLoader callers = thread.getContextClassLoader();
            thread.setContextClassLoader(KafkaBroker.class.getClassLoader());
            try {
                stop();
                deleteRoot();
            } finally {
                thread.setContextClassLoader(callers);
            }
        }

        private static void shutdown(KafkaRaftServer server) {
            try {
                server.shutdown();
                server.awaitShutdown();
            } catch (RuntimeException e) {
                System.err.println("[plumbline-testing] Kafka broker shutdown: " + e);
            }
        }

        private void deleteRoot() {
            if (root != null) {
                deleteTree(root);
            }
        }

        /** Deletes a temporary tree; a few passes, since threads of a failed start may still be writing into it. */
        private static void deleteTree(Path dir) {
            for (int pass = 0; pass < 3 && Files.exists(dir); pass++) {
                try (Stream<Path> paths = Files.walk(dir)) {
                    paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                } catch (IOException | UncheckedIOException ignored) {
                    // something changed under the walk: next pass
                }
            }
        }
    }
}
