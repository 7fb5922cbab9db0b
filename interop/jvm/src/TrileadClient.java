public final class TrileadClient { public static void main(String[] a) {} }
