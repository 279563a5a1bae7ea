package io.plumbline.common.metric;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.plumbline.proto.common.v1.BooleanType;
import io.plumbline.proto.common.v1.CategoricalType;
import io.plumbline.proto.common.v1.CountType;
import io.plumbline.proto.common.v1.DiscreteType;
import io.plumbline.proto.common.v1.MetricValue;
import io.plumbline.proto.common.v1.OutputType;
import io.plumbline.proto.common.v1.PercentageType;
import org.junit.jupiter.api.Test;

class TypedValuesTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final OutputType BOOLEAN = OutputType.newBuilder().setBoolean(BooleanType.getDefaultInstance()).build();
    static final OutputType TONE = OutputType.newBuilder().setCategorical(CategoricalType.newBuilder()
            .addLabels("friendly").addLabels("rude")).build();
    static final OutputType PERCENTAGE = OutputType.newBuilder().setPercentage(PercentageType.getDefaultInstance()).build();
    static final OutputType COUNT = OutputType.newBuilder().setCount(CountType.getDefaultInstance()).build();
    static final OutputType RATING = OutputType.newBuilder().setDiscrete(DiscreteType.newBuilder().setMin(1).setMax(5)).build();

    @Test
    void judgeAnswersAreReadAgainstTheType() throws Exception {
        assertEquals(MetricValue.newBuilder().setBoolean(false).build(), TypedValues.fromJson(BOOLEAN, JSON.readTree("false")));
        assertEquals("rude", TypedValues.fromJson(TONE, JSON.readTree("\"Rude\"")).getCategorical());
        assertEquals(60.0, TypedValues.fromJson(PERCENTAGE, JSON.readTree("60")).getPercentage());
        assertEquals(3, TypedValues.fromJson(COUNT, JSON.readTree("3.0")).getCount());
        assertEquals(4, TypedValues.fromJson(RATING, JSON.readTree("4")).getDiscrete());
    }

    @Test
    void labelFileCellsAreReadWithTheirUsualSpellings() {
        assertEquals(true, TypedValues.fromText(BOOLEAN, "pass").getBoolean());
        assertEquals(false, TypedValues.fromText(BOOLEAN, " FAIL ").getBoolean());
        assertEquals(62.5, TypedValues.fromText(PERCENTAGE, "62.5%").getPercentage());
        assertEquals(2, TypedValues.fromText(COUNT, "2").getCount());
    }

    @Test
    void valuesThatDoNotFitAreRefusedWithTheReason() {
        assertTrue(assertThrows(TypedValues.InvalidValue.class, () -> TypedValues.fromText(TONE, "polite")).getMessage()
                .contains("not one of the labels [friendly, rude]"));
        assertTrue(assertThrows(TypedValues.InvalidValue.class, () -> TypedValues.fromText(PERCENTAGE, "120")).getMessage()
                .contains("0 to 100"));
        assertTrue(assertThrows(TypedValues.InvalidValue.class, () -> TypedValues.fromText(RATING, "7")).getMessage()
                .contains("from 1 to 5"));
        assertTrue(assertThrows(TypedValues.InvalidValue.class, () -> TypedValues.fromText(COUNT, "-1")).getMessage()
                .contains("0 or more"));
        assertTrue(assertThrows(TypedValues.InvalidValue.class, () -> TypedValues.fromText(COUNT, "2.5")).getMessage()
                .contains("whole number"));
        assertTrue(assertThrows(TypedValues.InvalidValue.class, () -> TypedValues.fromText(BOOLEAN, "maybe")).getMessage()
                .contains("true or false"));
        assertTrue(assertThrows(TypedValues.InvalidValue.class, () -> TypedValues.fromText(BOOLEAN, "")).getMessage()
                .contains("no value"));
    }

    @Test
    void theJudgmentSchemaAsksForReasoningAndATypedValue() {
        var schema = TypedValues.judgmentSchema(TONE);
        assertEquals(java.util.List.of("reasoning", "value"), schema.required());
        assertTrue(schema.properties().get("value").toString().contains("friendly"), schema.toString());
    }
}
