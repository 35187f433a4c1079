package dev.rollguard.console.session;

import jakarta.enterprise.context.RequestScoped;

/** The session of the request being served, set by {@link SessionFilter}. */
@RequestScoped
public class CurrentSession {

    private OperatorSession session;

    public OperatorSession get() {
        return session;
    }

    void set(OperatorSession session) {
        this.session = session;
    }
}
