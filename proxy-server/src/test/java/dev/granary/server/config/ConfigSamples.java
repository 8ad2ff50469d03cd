package dev.granary.server.config;

import java.util.Locale;

/** A valid, non-default value for every configuration key: what tests set to see a key arrive. */
public final class ConfigSamples {
    private ConfigSamples() {}

    public static String of(ConfigKey k) {
        switch (k) {
            case FETCH_REDIRECTS -> {
                return "none";
            }
            case DL_UPSTREAM -> {
                return "https://mirror.example/golang/";
            }
            case DL_KEYRING_URL -> {
                return "https://keys.example/release.pub";
            }
            case DL_KEY_FINGERPRINT -> {
                return "0123456789ABCDEF0123456789ABCDEF01234567";
            }
            default -> {}
        }
        return switch (k.type()) {
            case ADDRESS -> "127.0.0.1:1234";
            case SIZE -> "12MiB";
            case SIZE_OR_PERCENT -> "5%";
            case DURATION -> "7s";
            case BOOL -> "true";
            case COUNT -> "3";
            case TEXT, SECRET -> "x-" + k.name().toLowerCase(Locale.ROOT);
        };
    }
}
