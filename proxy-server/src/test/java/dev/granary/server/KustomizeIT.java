package dev.granary.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.granary.server.config.ConfigKey;
import dev.granary.server.config.GranaryConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every Kubernetes manifest renders ({@code kubectl kustomize}, no cluster needed) and parses, with the
 * kinds expected, probes on Granary's health endpoints, and a configuration Granary itself accepts.
 */
class KustomizeIT {
    private static final Path DEPLOY = Path.of("../deploy").toAbsolutePath().normalize();
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    @TempDir
    Path tmp;

    private static List<JsonNode> render(String dir) throws Exception {
        Path kubectl = ExternalTools.require("kubectl", "install kubectl; it renders Kustomize without a cluster");
        ExternalTools.Result r = ExternalTools.run(DEPLOY, Map.of(), 120, kubectl.toString(), "kustomize", dir);
        assertThat(r.code()).as(r.out()).isZero();
        return parse(r.out());
    }

    private static List<JsonNode> parse(String yaml) throws Exception {
        List<JsonNode> docs = new ArrayList<>();
        try (MappingIterator<JsonNode> it = YAML.readerFor(JsonNode.class).readValues(yaml)) {
            while (it.hasNext()) {
                JsonNode n = it.next();
                if (n != null && !n.isNull() && !n.isEmpty()) {
                    docs.add(n);
                }
            }
        }
        return docs;
    }

    private static JsonNode one(List<JsonNode> docs, String kind) {
        return docs.stream()
                .filter(d -> d.get("kind").asText().equals(kind))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no " + kind));
    }

    private static List<String> kinds(List<JsonNode> docs) {
        return docs.stream().map(d -> d.get("kind").asText()).sorted().toList();
    }

    /** The granary.yaml a rendered ConfigMap holds, loaded as Granary loads its config file. */
    private GranaryConfig config(List<JsonNode> docs, String name) throws Exception {
        Path file = Files.writeString(
                tmp.resolve(name),
                one(docs, "ConfigMap").get("data").get("granary.yaml").asText());
        return GranaryConfig.load(Map.of(), Map.of(), Optional.of(file));
    }

    private static void checkGranaryContainer(JsonNode podSpec) {
        JsonNode c = podSpec.get("containers").get(0);
        assertThat(c.get("readinessProbe").get("httpGet").get("path").asText()).isEqualTo("/readyz");
        assertThat(c.get("livenessProbe").get("httpGet").get("path").asText()).isEqualTo("/healthz");
        assertThat(c.get("ports").get(0).get("containerPort").asInt()).isEqualTo(3000);
        assertThat(c.get("securityContext").get("readOnlyRootFilesystem").asBoolean())
                .isTrue();
        assertThat(podSpec.get("securityContext").get("runAsNonRoot").asBoolean())
                .isTrue();
    }

    @Test
    void theBaseIsOneReplicaOnAPersistentVolumeScrapedByPrometheus() throws Exception {
        List<JsonNode> docs = render("kustomize/base");
        assertThat(kinds(docs))
                .containsExactly("ConfigMap", "Deployment", "PersistentVolumeClaim", "Service", "ServiceMonitor");
        JsonNode deployment = one(docs, "Deployment");
        assertThat(deployment.get("spec").get("replicas").asInt()).isEqualTo(1);
        JsonNode pod = deployment.get("spec").get("template").get("spec");
        checkGranaryContainer(pod);
        String configMap = one(docs, "ConfigMap").get("metadata").get("name").asText();
        Map<String, JsonNode> volumes = new HashMap<>();
        pod.get("volumes").forEach(v -> volumes.put(v.get("name").asText(), v));
        assertThat(volumes.get("config").get("configMap").get("name").asText())
                .as("the generated, hashed name")
                .isEqualTo(configMap);
        assertThat(volumes.get("data")
                        .get("persistentVolumeClaim")
                        .get("claimName")
                        .asText())
                .isEqualTo(one(docs, "PersistentVolumeClaim")
                        .get("metadata")
                        .get("name")
                        .asText());
        JsonNode monitor = one(docs, "ServiceMonitor");
        assertThat(monitor.get("spec").get("endpoints").get(0).get("path").asText())
                .isEqualTo("/metrics");
        assertThat(one(docs, "Service")
                        .get("spec")
                        .get("selector")
                        .get("app.kubernetes.io/name")
                        .asText())
                .isEqualTo("granary");
        GranaryConfig c = config(docs, "base.yaml");
        assertThat(c.bool(ConfigKey.LOG_ACCESS)).isTrue();
        assertThat(c.duration(ConfigKey.GC_MAX_AGE).toDays()).isEqualTo(180);
    }

    @Test
    void theS3OverlayRunsReplicasOnABucketWithRetentionAsACronJob() throws Exception {
        List<JsonNode> docs = render("kustomize/overlays/s3-replicas");
        assertThat(kinds(docs))
                .containsExactly(
                        "ConfigMap", "CronJob", "Deployment", "PodDisruptionBudget", "Service", "ServiceMonitor");
        JsonNode deployment = one(docs, "Deployment");
        assertThat(deployment.get("spec").get("replicas").asInt()).isEqualTo(3);
        assertThat(deployment.get("spec").get("strategy").get("type").asText()).isEqualTo("RollingUpdate");
        JsonNode pod = deployment.get("spec").get("template").get("spec");
        checkGranaryContainer(pod);
        JsonNode data = null;
        for (JsonNode v : pod.get("volumes")) {
            if (v.get("name").asText().equals("data")) {
                data = v;
            }
        }
        assertThat(data.has("persistentVolumeClaim")).isFalse();
        assertThat(data.has("emptyDir")).isTrue();
        String env = pod.get("containers").get(0).get("env").findValuesAsText("name").stream()
                .collect(Collectors.joining(","));
        assertThat(env).contains("GRANARY_S3_ACCESS_KEY_ID").contains("GRANARY_S3_SECRET_ACCESS_KEY");
        GranaryConfig c = config(docs, "s3.yaml");
        assertThat(c.get(ConfigKey.S3_BUCKET)).isNotBlank();
        assertThat(c.bool(ConfigKey.S3_LOCAL_CACHE)).isTrue();
        assertThat(c.integer(ConfigKey.HTTP_MAX_CONNECTIONS_PER_CLIENT)).isZero();
        JsonNode job = one(docs, "CronJob")
                .get("spec")
                .get("jobTemplate")
                .get("spec")
                .get("template")
                .get("spec");
        assertThat(job.get("containers").get(0).get("args").get(0).asText()).isEqualTo("gc");
        assertThat(job.get("volumes").get(0).get("configMap").get("name").asText())
                .isEqualTo(one(docs, "ConfigMap").get("metadata").get("name").asText());
    }

    @Test
    void thePlainManifestParsesToo() throws Exception {
        List<JsonNode> docs = parse(Files.readString(DEPLOY.resolve("kubernetes/granary.yaml")));
        assertThat(kinds(docs)).containsExactly("ConfigMap", "Deployment", "PersistentVolumeClaim", "Service");
        checkGranaryContainer(
                one(docs, "Deployment").get("spec").get("template").get("spec"));
    }
}
