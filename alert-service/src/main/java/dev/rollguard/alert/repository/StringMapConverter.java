package dev.rollguard.alert.repository;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.persistence.AttributeConverter;
import jakarta.persistence.Converter;
import java.util.Map;
import java.util.TreeMap;

/** Stores labels and annotations as a JSON object in a text column (sorted, so equal maps store equal text). */
@Converter
public class StringMapConverter implements AttributeConverter<Map<String, String>, String> {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<TreeMap<String, String>> TYPE = new TypeReference<>() {};

    @Override
    public String convertToDatabaseColumn(Map<String, String> attribute) {
        try {
            return JSON.writeValueAsString(attribute == null ? Map.of() : new TreeMap<>(attribute));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("labels are not serializable", e);
        }
    }

    @Override
    public Map<String, String> convertToEntityAttribute(String dbData) {
        try {
            return dbData == null || dbData.isBlank() ? Map.of() : JSON.readValue(dbData, TYPE);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored labels are not a JSON object", e);
        }
    }
}
