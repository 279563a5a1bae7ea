package io.plumbline.judge.normalize;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** How spans become records. */
@ConfigMapping(prefix = "plumbline.normalize")
public interface NormalizeConfig {

    /** Text fields (input, output, messages, documents, tool arguments and results, attribute values) longer than this many characters are cut and end with "[truncated]". */
    @WithDefault("32768")
    int maxTextLength();

    /** The resource attribute (else span attribute) naming the project a span's records belong to. */
    @WithDefault("plumbline.project")
    String projectAttribute();

    /** The project of spans without that attribute. */
    @WithDefault("default")
    String defaultProject();
}
