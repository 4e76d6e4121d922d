/**
 * Endpoints from etcd: {@link dev.lb.etcd.EtcdEndpointSource}, an {@link
 * dev.lb.discovery.EndpointSource} that lists and then watches the instance records under a key
 * prefix (v3 API, through jetcd), and {@link dev.lb.etcd.EtcdRegistration}, which writes an
 * instance's record under a lease and keeps the lease alive.
 */
@NullMarked
package dev.lb.etcd;

import org.jspecify.annotations.NullMarked;
