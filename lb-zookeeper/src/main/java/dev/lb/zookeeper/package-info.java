/**
 * Endpoints from ZooKeeper through Apache Curator's service discovery ({@code
 * curator-x-discovery}): {@link dev.lb.zookeeper.ZooKeeperEndpointSource}, an {@link
 * dev.lb.discovery.EndpointSource} that watches the instances registered under a base path.
 */
@NullMarked
package dev.lb.zookeeper;

import org.jspecify.annotations.NullMarked;
