package dev.rollguard.flag;

import io.smallrye.common.annotation.NonBlocking;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;

/**
 * A defect under the OFREP prefix, only in the tests' application: nothing the service serves fails on purpose, and the
 * body of an unexpected failure is what {@code OfrepTest} checks.
 */
@Path(FailingOfrepEndpoint.PATH)
public class FailingOfrepEndpoint {

    static final String PATH = "/ofrep/v1/test-only/defect";

    @GET
    @NonBlocking
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(hidden = true)
    public String fail() {
        throw new IllegalStateException("a defect inside the evaluation");
    }
}
