package io.plumbline.console.shell;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** {@code plumbline.console.*}. */
@ConfigMapping(prefix = "plumbline.console")
public interface ConsoleConfig {

    /** The project (tenant) whose metrics, queues and runs the console shows. */
    @WithDefault("default")
    String projectId();

    /** Whether the sign-in cookie is sent only over HTTPS (turn on behind TLS). */
    @WithDefault("false")
    boolean secureCookie();
}
