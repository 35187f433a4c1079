package dev.rollguard.alert.mapping;

import java.util.LinkedHashMap;
import java.util.Map;

/** Ordered JSON objects for the receivers' bodies, so a body reads in the order its documentation shows. */
final class Json {

    private Json() {}

    /** An object of the given key-value pairs in order; pairs with a null value are left out. */
    static Map<String, Object> obj(Object... keysAndValues) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            if (keysAndValues[i + 1] != null) {
                map.put((String) keysAndValues[i], keysAndValues[i + 1]);
            }
        }
        return map;
    }
}
