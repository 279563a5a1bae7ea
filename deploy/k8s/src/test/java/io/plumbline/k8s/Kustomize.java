package io.plumbline.k8s;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Renders a Kustomize directory with {@code kubectl kustomize}, the way {@code kubectl apply -k} would. */
final class Kustomize {

    static final ObjectMapper YAML = new YAMLMapper();

    private Kustomize() {
    }

    /** The kubectl on PATH, or a failure that says how to get one. */
    static Path kubectl() {
        return findOnPath("kubectl").orElseThrow(() -> new IllegalStateException("""
                No kubectl on PATH: the Kubernetes manifests are rendered with `kubectl kustomize`.
                Install one, for example Debian's: apt-get install -y kubernetes-client (.ci/run does this on CI),
                or put any kubectl >= 1.20 on PATH."""));
    }

    static Optional<Path> findOnPath(String name) {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        return Arrays.stream(path.split(File.pathSeparator))
                .filter(dir -> !dir.isBlank())
                .map(dir -> Path.of(dir, name))
                .filter(Files::isExecutable)
                .findFirst();
    }

    /** The rendered YAML stream of one Kustomize directory. */
    static String render(Path kubectl, Path directory) {
        try {
            Process process = new ProcessBuilder(kubectl.toString(), "kustomize", directory.toString())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .start();
            CompletableFuture<String> stdout = CompletableFuture.supplyAsync(() -> read(process.getInputStream()));
            CompletableFuture<String> stderr = CompletableFuture.supplyAsync(() -> read(process.getErrorStream()));
            if (!process.waitFor(2, TimeUnit.MINUTES)) {
                process.destroyForcibly();
                throw new IllegalStateException(kubectl + " kustomize " + directory + " did not finish in 2 minutes");
            }
            if (process.exitValue() != 0) {
                throw new IllegalStateException(kubectl + " kustomize " + directory + " failed (exit " + process.exitValue()
                        + "):\n" + stderr.join());
            }
            return stdout.join();
        } catch (IOException e) {
            throw new IllegalStateException("Could not run " + kubectl, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The objects of a rendered YAML stream, in order. */
    static List<ObjectNode> objects(String yaml) {
        List<ObjectNode> objects = new ArrayList<>();
        try (var parser = new YAMLFactory().createParser(yaml)) {
            for (var it = YAML.readValues(parser, JsonNode.class); it.hasNext(); ) {
                JsonNode node = it.next();
                if (node == null || node.isNull() || node.isMissingNode()) {
                    continue;
                }
                if (!node.isObject()) {
                    throw new IllegalStateException("Not a Kubernetes object: " + node);
                }
                objects.add((ObjectNode) node);
            }
        } catch (IOException e) {
            throw new IllegalStateException("Not YAML: " + e.getMessage(), e);
        }
        return objects;
    }

    private static String read(java.io.InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
