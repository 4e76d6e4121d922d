package dev.lb.okhttp;

import javax.net.ssl.HostnameVerifier;
import javax.net.ssl.SSLSession;

/**
 * Verifies an endpoint's certificate against the service's configured TLS name instead of the
 * endpoint's host, using the client's own verifier. A record, so that two instances with the same
 * name and base verifier are equal: OkHttp keys pooled connections by an address that includes the
 * verifier, and equal verifiers let attempts share connections.
 */
record ServiceNameVerifier(String name, HostnameVerifier base) implements HostnameVerifier {
  @Override
  public boolean verify(String hostname, SSLSession session) {
    return base.verify(name, session);
  }
}
