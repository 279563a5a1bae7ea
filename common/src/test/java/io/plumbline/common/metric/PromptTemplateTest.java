package io.plumbline.common.metric;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class PromptTemplateTest {

    @Test
    void rendersKnownVariablesIncludingMetadata() {
        var template = PromptTemplate.parse("Q: {{ input }}\nA: {{output}}\nModel: {{metadata.gen_ai.request.model}}");
        var values = Map.of("input", "hi", "output", "hello", "metadata.gen_ai.request.model", "gpt-4o");
        assertEquals("Q: hi\nA: hello\nModel: gpt-4o", template.render(values::get));
        assertEquals(java.util.List.of("input", "output", "metadata.gen_ai.request.model"), template.variables());
    }

    @Test
    void unknownVariableIsNamedWithItsPosition() {
        var error = assertThrows(PromptTemplate.InvalidTemplate.class,
                () -> PromptTemplate.parse("Judge {{output}}\nagainst {{reference}}"));
        assertTrue(error.getMessage().contains("\"reference\""), error.getMessage());
        assertTrue(error.getMessage().contains("line 2, column 9"), error.getMessage());
    }

    @Test
    void unclosedPlaceholderCannotRender() {
        var error = assertThrows(PromptTemplate.InvalidTemplate.class, () -> PromptTemplate.parse("{{output} is {{input}}"));
        assertTrue(error.getMessage().contains("never closed"), error.getMessage());
    }

    @Test
    void templateWithoutRecordContentIsRefused() {
        var error = assertThrows(PromptTemplate.InvalidTemplate.class, () -> PromptTemplate.parse("Rules: {{guidelines}}"));
        assertTrue(error.getMessage().contains("none of the record's content"), error.getMessage());
    }
}
