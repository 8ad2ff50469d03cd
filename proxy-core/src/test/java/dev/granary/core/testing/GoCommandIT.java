package dev.granary.core.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.granary.core.testing.GoToolchains.EachGoToolchain;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** Each toolchain's go command, as {@link GoCommand} runs it, sees only what the test gives it. */
class GoCommandIT {
    @TempDir
    Path tmp;

    @EachGoToolchain
    void theEnvironmentIsHermetic(GoToolchain toolchain) throws Exception {
        Path home = tmp.resolve("home");
        GoCommand go = new GoCommand(toolchain, home).env("GOPROXY", "http://127.0.0.1:9/");
        JsonNode env = new ObjectMapper()
                .readTree(go.run(tmp, "env", "-json").assertSuccess().output());

        assertThat(env.path("GOVERSION").asText()).isEqualTo(toolchain.version());
        assertThat(Path.of(env.path("GOROOT").asText()).toRealPath())
                .isEqualTo(toolchain.binDir().getParent());
        assertThat(env.path("GOPROXY").asText()).isEqualTo("http://127.0.0.1:9/");
        assertThat(env.path("GOSUMDB").asText()).isEqualTo("off");
        assertThat(env.path("GONOSUMDB").asText()).isEmpty();
        assertThat(env.path("GONOPROXY").asText()).isEmpty();
        assertThat(env.path("GOPRIVATE").asText()).isEmpty();
        assertThat(env.path("GOFLAGS").asText()).isEqualTo("-mod=mod");
        assertThat(env.path("GOVCS").asText()).isEqualTo("*:off");
        assertThat(env.path("GOMODCACHE").asText()).isEqualTo(go.modCache().toString());
        assertThat(env.path("GOPATH").asText()).startsWith(home.toString());
        assertThat(env.path("GOENV").asText()).as("no go env file (GOENV=off)").isEmpty();
        if (toolchain.atLeast(21)) {
            assertThat(env.path("GOTOOLCHAIN").asText()).isEqualTo("local");
        }
        if (toolchain.atLeast(23)) {
            assertThat(env.path("GOTELEMETRY").asText()).isEqualTo("off");
        }
        if (toolchain.atLeast(24)) {
            assertThat(env.path("GOAUTH").asText()).isEqualTo("off");
        }
        // Nothing was written outside the given home and the build directory.
        assertThat(Files.exists(home.resolve(".config/go/telemetry/local"))).isFalse();
    }

    @EachGoToolchain
    void aModuleThatNoProxyServesFailsWithoutTouchingTheNetwork(GoToolchain toolchain) throws Exception {
        Path app = Files.createDirectories(tmp.resolve("app"));
        Files.writeString(app.resolve("go.mod"), "module example.com/app\n\ngo 1.19\n\nrequire rsc.io/quote v1.5.2\n");
        Files.writeString(app.resolve("main.go"), "package main\n\nimport _ \"rsc.io/quote\"\n\nfunc main() {}\n");
        GoCommand go = new GoCommand(toolchain, tmp.resolve("home"));
        GoCommand.Result r = go.run(app, "mod", "download", "all");
        assertThat(r.exit()).isNotZero();
        assertThat(r.output()).contains("module lookup disabled by GOPROXY=off");
        assertThat(go.modCache().resolve("rsc.io")).doesNotExist();
    }
}
