package io.plumbline.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/** Each service's JVM-mode Dockerfile agrees with what its Deployment expects of the image. */
class DockerfilesTest {

    static final List<String> SERVICES = OverlaysTest.APPLICATIONS;

    @ParameterizedTest
    @FieldSource("SERVICES")
    void theImageRunsTheQuarkusAppAsTheDeploymentsUserOnItsPort(String service) throws IOException {
        Path dockerfile = OverlaysTest.REPO.resolve(service).resolve("src/main/docker/Dockerfile.jvm");
        assertTrue(Files.exists(dockerfile), dockerfile + " exists");
        String text = Files.readString(dockerfile);
        for (String layer : List.of("lib/", "*.jar", "app/", "quarkus/")) {
            assertTrue(text.contains("COPY --chown=185 target/quarkus-app/" + layer), service + " copies quarkus-app/" + layer);
        }
        assertTrue(text.contains("quarkus-run.jar"), service + " starts quarkus-run.jar");

        JsonNode deployment = Kustomize.objects(Files.readString(OverlaysTest.MODULE.resolve("base/" + service + ".yaml")))
                .stream().filter(o -> o.path("kind").asText().equals("Deployment")).findFirst().orElseThrow();
        JsonNode pod = deployment.path("spec").path("template").path("spec");
        assertEquals(pod.path("securityContext").path("runAsUser").asText(), last(text, "(?m)^USER\\s+(\\S+)"),
                service + ": the image's USER is the Deployment's runAsUser (numeric, so runAsNonRoot can check it)");
        String containerPort = pod.path("containers").path(0).path("ports").path(0).path("containerPort").asText();
        assertEquals(containerPort, last(text, "(?m)^EXPOSE\\s+(\\d+)"), service + ": EXPOSE is the container port");
        assertEquals(containerPort, last(text, "(?m)^ENV QUARKUS_HTTP_PORT=(\\d+)"), service + ": Quarkus listens there");
    }

    private static String last(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        String found = null;
        while (m.find()) {
            found = m.group(1);
        }
        return found;
    }
}
