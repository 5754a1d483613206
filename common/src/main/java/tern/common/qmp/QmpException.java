package tern.common.qmp;

import java.io.IOException;

/** An error QEMU answered to a QMP command, as QEMU reported it: its class and description. */
public final class QmpException extends IOException {
    private final String command;
    private final String errorClass;
    private final String desc;

    public QmpException(String command, String errorClass, String desc) {
        super("QMP " + command + " failed: " + errorClass + ": " + desc);
        this.command = command;
        this.errorClass = errorClass;
        this.desc = desc;
    }

    public String command() {
        return command;
    }

    public String errorClass() {
        return errorClass;
    }

    public String desc() {
        return desc;
    }
}
