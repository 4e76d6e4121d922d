package dev.lb.benchmarks;

import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.SessionProtocol;
import com.linecorp.armeria.common.TlsKeyPair;
import com.linecorp.armeria.server.Server;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import okhttp3.OkHttpClient;
import okhttp3.tls.HandshakeCertificates;
import okhttp3.tls.HeldCertificate;

/**
 * An HTTPS server on 127.0.0.1 that speaks HTTP/2 (ALPN, the JDK's TLS) and HTTP/1.1, answering
 * every request with the same 2-byte body: an Armeria server on one event-loop thread, with a
 * self-signed certificate for 127.0.0.1 that {@link #trusting} clients accept. One thread, as in
 * {@link LoopbackHttpServer}, so that clients compared side by side meet the same server thread.
 */
final class LoopbackHttpsServer implements AutoCloseable {
  /** One certificate for every server of the process, so that one trusting client fits all. */
  private static final HeldCertificate CERTIFICATE =
      new HeldCertificate.Builder().addSubjectAlternativeName("127.0.0.1").build();

  private final Server server;

  LoopbackHttpsServer() throws UnknownHostException {
    server =
        Server.builder()
            .https(new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), 0))
            .tls(TlsKeyPair.of(CERTIFICATE.keyPair().getPrivate(), CERTIFICATE.certificate()))
            .workerGroup(1)
            .service(
                "prefix:/",
                (ctx, req) -> HttpResponse.of(HttpStatus.OK, MediaType.PLAIN_TEXT_UTF_8, "ok"))
            .build();
    server.start().join();
  }

  int port() {
    return server.activeLocalPort(SessionProtocol.HTTPS);
  }

  /** {@code base} with a trust store holding only the servers' certificate. */
  static OkHttpClient trusting(OkHttpClient base) {
    HandshakeCertificates trust =
        new HandshakeCertificates.Builder()
            .addTrustedCertificate(CERTIFICATE.certificate())
            .build();
    return base.newBuilder()
        .sslSocketFactory(trust.sslSocketFactory(), trust.trustManager())
        .build();
  }

  @Override
  public void close() {
    server.stop().join();
  }
}
