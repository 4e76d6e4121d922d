package dev.lb.limit;

/**
 * The field layout of {@link AdaptiveConcurrencyLimit}, as a chain of superclasses (HotSpot lays
 * out a superclass's fields first), as {@code EndpointStateLayout} does for endpoints: every pick
 * of the endpoint reads {@code published}, and every report writes the update flag and the
 * algorithm's state. On one cache line, each report's writes would evict the line the other cores'
 * picks read; and limits made one after another for the endpoints of a balancer would share lines
 * with each other. So {@code published} sits between 64 bytes of padding on each side.
 */
final class AdaptiveLimitLayout {
  private AdaptiveLimitLayout() {}

  /** Keeps {@link Published} off the line of whatever object comes before. */
  @SuppressWarnings("unused")
  abstract static class HeadPadding {
    byte p00, p01, p02, p03, p04, p05, p06, p07, p08, p09, p10, p11, p12, p13;
    byte p14, p15, p16, p17, p18, p19, p20, p21, p22, p23, p24, p25, p26, p27;
    byte p28, p29, p30, p31, p32, p33, p34, p35, p36, p37, p38, p39, p40, p41;
    byte p42, p43, p44, p45, p46, p47, p48, p49, p50, p51, p52, p53, p54, p55;
    byte p56, p57, p58, p59, p60, p61, p62, p63;
  }

  /** What admission reads. */
  abstract static class Published extends HeadPadding {
    volatile int published;
  }

  /** Keeps the update state off {@link Published}'s line. */
  @SuppressWarnings("unused")
  abstract static class PublishedPadding extends Published {
    byte q00, q01, q02, q03, q04, q05, q06, q07, q08, q09, q10, q11, q12, q13;
    byte q14, q15, q16, q17, q18, q19, q20, q21, q22, q23, q24, q25, q26, q27;
    byte q28, q29, q30, q31, q32, q33, q34, q35, q36, q37, q38, q39, q40, q41;
    byte q42, q43, q44, q45, q46, q47, q48, q49, q50, q51, q52, q53, q54, q55;
    byte q56, q57, q58, q59, q60, q61, q62, q63;
  }
}
