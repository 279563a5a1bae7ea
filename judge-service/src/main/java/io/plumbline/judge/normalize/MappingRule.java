package io.plumbline.judge.normalize;

/**
 * One row of a convention's mapping table: attributes whose key matches {@code key} carry {@code field}, for the input
 * or the output side where that matters. Within a table, an earlier row wins over a later one for the same field.
 */
record MappingRule(KeyPattern key, Field field, Side side) {

    enum Side { INPUT, OUTPUT, NONE }

    static MappingRule rule(String key, Field field) {
        return new MappingRule(KeyPattern.of(key), field, Side.NONE);
    }

    static MappingRule input(String key, Field field) {
        return new MappingRule(KeyPattern.of(key), field, Side.INPUT);
    }

    static MappingRule output(String key, Field field) {
        return new MappingRule(KeyPattern.of(key), field, Side.OUTPUT);
    }
}
