package tern.receiver.server;

import io.grpc.netty.shaded.io.netty.channel.Channel;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandlerContext;
import io.grpc.netty.shaded.io.netty.channel.ChannelInboundHandlerAdapter;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslHandler;
import io.grpc.netty.shaded.io.netty.util.concurrent.Future;
import java.util.Locale;
import tern.common.tls.TlsFailures;
import tern.common.wire.PeerText;
import java.util.function.Consumer;

/**
 * Says which client a TLS receiver refused and why. A failed handshake (no client certificate, or
 * one its CA did not sign, or one expired or not meant for client authentication) ends the
 * connection inside gRPC's transport, which tells only the client; {@link ConnectionGate} puts
 * this watcher at the head of every accepted connection, and it reports a connection closed after
 * a failed handshake, with the peer's address.
 */
final class HandshakeWatch extends ChannelInboundHandlerAdapter {
    private final Consumer<String> refused;

    HandshakeWatch(Consumer<String> refused) {
        this.refused = refused;
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        SslHandler ssl = ctx.pipeline().get(SslHandler.class);
        if (ssl != null) {
            Future<Channel> handshake = ssl.handshakeFuture();
            if (handshake.isDone() && !handshake.isSuccess()) {
                refused.accept("refused client " + ctx.channel().remoteAddress() + ": TLS handshake failed: "
                        + deepestMessage(handshake.cause()));
            }
        }
        super.channelInactive(ctx);
    }

    static String deepestMessage(Throwable t) {
        // expired, not yet valid, not for client authentication, not signed: said as such
        String problem = TlsFailures.clientCertificateProblem(t);
        if (problem != null) {
            return problem;
        }
        String m = String.valueOf(t);
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c.getMessage() != null) {
                m = c.getMessage();
            }
        }
        if (m.startsWith("not an SSL/TLS record")) {
            return "the client spoke plaintext, not TLS";
        }
        if (m.contains("PEER_DID_NOT_RETURN_A_CERTIFICATE") || m.toLowerCase(Locale.ROOT).contains("empty client certificate")) {
            m += " (the client presented no certificate signed by --tls-ca)";
        }
        return PeerText.clean(m, 400);
    }
}
