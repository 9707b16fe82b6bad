package thebacknd.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CacheLocationTest {

  @Test
  void s3BucketAlone() {
    assertEquals(new CacheLocation.S3("my-cache", "", Optional.empty(), Optional.empty()), CacheLocation.parse("s3://my-cache"));
  }

  @Test
  void s3WithPrefixRegionAndNixOnlySettings() {
    CacheLocation.S3 s3 =
        (CacheLocation.S3) CacheLocation.parse("s3://my.cache/some/prefix/?region=eu-west-1&compression=zstd&profile=dev&parallel-compression=true&priority=30");
    assertEquals(new CacheLocation.S3("my.cache", "some/prefix", Optional.of("eu-west-1"), Optional.empty()), s3);
    assertEquals("some/prefix/abc.narinfo", s3.key("abc.narinfo"));
    assertEquals("s3://my.cache/some/prefix/abc.narinfo", s3.describe("abc.narinfo"));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
    "s3://b1?endpoint=minio.local:9000|https://minio.local:9000",
    "s3://b1?endpoint=minio.local:9000&scheme=http|http://minio.local:9000",
    "s3://b1?scheme=http&endpoint=127.0.0.1:5000|http://127.0.0.1:5000",
    "s3://b1?endpoint=http%3A%2F%2F127.0.0.1%3A5000|http://127.0.0.1:5000",
    "s3://b1?endpoint=https://s3.example.org|https://s3.example.org",
  })
  void s3EndpointAsNixTakesIt(String url, String endpoint) {
    assertEquals(Optional.of(URI.create(endpoint)), ((CacheLocation.S3) CacheLocation.parse(url)).endpoint());
  }

  @Test
  void httpDropsTrailingSlashesAndStoreSettings() {
    CacheLocation.Http http = (CacheLocation.Http) CacheLocation.parse("http://127.0.0.1:5000/cache/?priority=10");
    assertEquals(URI.create("http://127.0.0.1:5000/cache"), http.base());
    assertEquals(URI.create("http://127.0.0.1:5000/cache/abc.narinfo"), http.resolve("abc.narinfo"));
    assertEquals(URI.create("https://cache.example.org"), ((CacheLocation.Http) CacheLocation.parse("https://cache.example.org/")).base());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
    "''|required",
    "file:///tmp/cache|s3://bucket",
    "ftp://cache|s3://bucket",
    "s3://|not an S3 bucket name",
    "s3://a|not an S3 bucket name",
    "s3://bad bucket|not an S3 bucket name",
    "s3://-bucket|not an S3 bucket name",
    "s3://bucket?region=EU WEST|not an AWS region",
    "s3://bucket?endpoint=ftp://x|endpoint",
    "s3://bucket?endpoint=%zz|bad %-escape",
    "http://|not a valid http(s) URL",
    "http:///path|not a valid http(s) URL",
  })
  void rejectsWhatIsNotACache(String url, String messagePart) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CacheLocation.parse(url));
    assertTrue(e.getMessage().contains(messagePart), e.getMessage());
  }
}
