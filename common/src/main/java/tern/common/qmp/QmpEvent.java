package tern.common.qmp;

import java.util.Map;

/** An asynchronous QMP event; {@code epochMicros} is QEMU's own timestamp (host wall clock). */
public record QmpEvent(String name, long epochMicros, Map<String, Object> data) {
    /** {@code data.key} as a string, or null. */
    public String dataString(String key) {
        Object v = data.get(key);
        return v == null ? null : v.toString();
    }
}
