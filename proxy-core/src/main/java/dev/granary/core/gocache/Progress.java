package dev.granary.core.gocache;

/** Told how far a long operation (packing, downloading, extracting) has come; the CLI draws a bar. */
public interface Progress {
    /** Does nothing. */
    Progress NONE = new Progress() {
        @Override
        public void start(String what, long total) {}

        @Override
        public void advance(long n) {}

        @Override
        public void done() {}
    };

    /** A phase begins: {@code total} units (bytes), or -1 when unknown. */
    void start(String what, long total);

    /** {@code n} more units are done. */
    void advance(long n);

    /** The phase is over. */
    void done();
}
