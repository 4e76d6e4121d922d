package dev.lb.discovery;

import java.util.List;
import javax.naming.NamingException;

/**
 * Asks DNS for the records of one name and type; a seam so unit tests can answer without a server.
 */
@FunctionalInterface
interface DnsResolver {
  /**
   * Queries {@code name} for records of {@code type}.
   *
   * @param name the fully qualified name, without the trailing dot
   * @param type {@code A}, {@code AAAA} or {@code SRV}
   * @return each record's data in presentation form (an address, or {@code "priority weight port
   *     target."}); empty if the name exists but has no such records
   * @throws javax.naming.NameNotFoundException if the name does not exist (NXDOMAIN)
   * @throws NamingException if the query failed (no answer, refused, server unreachable)
   */
  List<String> query(String name, String type) throws NamingException;
}
