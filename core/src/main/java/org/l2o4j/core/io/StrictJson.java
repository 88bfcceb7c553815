package org.l2o4j.core.io;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.IOException;
import java.io.StringReader;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Strict JSON parsing with Gson's tokenizer: UTF-8 only, no lenient syntax, no trailing content, no
 * duplicate object keys (Gson's tree parser keeps the last one silently, which would make a header
 * ambiguous), nesting bounded by the reader's limit.
 */
final class StrictJson {
    private StrictJson() {}

    /** Why a text is not strict JSON; the message completes "expected JSON but ...". */
    static final class SyntaxError extends Exception {
        private static final long serialVersionUID = 1L;

        SyntaxError(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** Parses UTF-8 bytes. */
    static JsonElement parse(byte[] utf8) throws SyntaxError {
        String text;
        try {
            text =
                    StandardCharsets.UTF_8
                            .newDecoder()
                            .onMalformedInput(CodingErrorAction.REPORT)
                            .onUnmappableCharacter(CodingErrorAction.REPORT)
                            .decode(ByteBuffer.wrap(utf8))
                            .toString();
        } catch (CharacterCodingException e) {
            throw new SyntaxError("found invalid UTF-8 (" + e + ")", e);
        }
        return parse(text);
    }

    /** Parses a string. */
    static JsonElement parse(String text) throws SyntaxError {
        try {
            JsonReader reader = new JsonReader(new StringReader(text));
            reader.setStrictness(Strictness.STRICT);
            JsonElement root = readTree(reader);
            if (reader.peek() != JsonToken.END_DOCUMENT) {
                throw new SyntaxError("found trailing content after the JSON value", null);
            }
            return root;
        } catch (IOException | RuntimeException e) {
            throw new SyntaxError("it does not parse: " + gsonMessage(e), e);
        }
    }

    private static JsonElement readTree(JsonReader r) throws IOException, SyntaxError {
        switch (r.peek()) {
            case BEGIN_OBJECT:
                JsonObject o = new JsonObject();
                r.beginObject();
                while (r.hasNext()) {
                    String k = r.nextName();
                    if (o.has(k)) {
                        throw new SyntaxError(
                                "the key '" + k + "' appears twice (keys must be unique)", null);
                    }
                    o.add(k, readTree(r));
                }
                r.endObject();
                return o;
            case BEGIN_ARRAY:
                JsonArray a = new JsonArray();
                r.beginArray();
                while (r.hasNext()) {
                    a.add(readTree(r));
                }
                r.endArray();
                return a;
            case STRING:
                return new JsonPrimitive(r.nextString());
            case NUMBER:
                return new JsonPrimitive(new BigDecimal(r.nextString()));
            case BOOLEAN:
                return new JsonPrimitive(r.nextBoolean());
            case NULL:
                r.nextNull();
                return JsonNull.INSTANCE;
            default:
                throw new SyntaxError("found " + r.peek() + " where a value should be", null);
        }
    }

    /** Gson's message, first line only, without its advice to parse leniently. */
    private static String gsonMessage(Exception e) {
        String m = String.valueOf(e.getMessage());
        int nl = m.indexOf('\n');
        if (nl >= 0) {
            m = m.substring(0, nl);
        }
        return m.replace(
                "Use JsonReader.setStrictness(Strictness.LENIENT) to accept malformed JSON",
                "malformed JSON");
    }

    /** A short description of a JSON value for error messages ("an object", "the number 3"). */
    static String kind(JsonElement e) {
        if (e == null) {
            return "nothing";
        }
        if (e.isJsonObject()) {
            return "an object";
        }
        if (e.isJsonArray()) {
            return "an array";
        }
        if (e.isJsonNull()) {
            return "null";
        }
        JsonPrimitive p = e.getAsJsonPrimitive();
        String s = p.toString();
        if (s.length() > 40) {
            s = s.substring(0, 40) + "...";
        }
        return (p.isString() ? "the string " : p.isNumber() ? "the number " : "") + s;
    }
}
