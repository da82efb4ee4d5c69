/* test_sigv4.c - the SigV4 signer against AWS's published test suite (aws-sig-v4-test-suite,
 * 2015-08-30 vectors, as also shipped in awslabs/aws-c-auth), the S3 documentation's worked
 * examples ("Signature Calculations for the Authorization Header", 2013-05-24), signatures
 * botocore computes for S3 keys and queries that need encoding, and the signer's own rules. */
#include "sigv4.h"
#include "testhelp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#define T_SUITE 1440938160 /* 2015-08-30 12:36:00 UTC */
#define T_S3DOC 1369353600 /* 2013-05-24 00:00:00 UTC */
#define T_2026  1767323045 /* 2026-01-02 03:04:05 UTC */
#define DAY     86400

#define EMPTY SIGV4_EMPTY_SHA256

/* The suite's credentials; its scope is 20150830/us-east-1/service/aws4_request. */
#define SUITE_AK     "AKIDEXAMPLE"
#define SUITE_SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define SUITE_SCOPE  "20150830/us-east-1/service/aws4_request"
#define SUITE_TOKEN                                                                                \
    "AQoDYXdzEPT//////////"                                                                        \
    "wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwth" \
    "Ax7"                                                                                          \
    "mSEI/qkPpKPi/"                                                                                \
    "kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8"             \
    "Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+"                                 \
    "scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYv"                                                           \
    "KTr4rvx3iSIlTJabIQwj2ICCR/oLxBA=="

/* The S3 documentation's credentials; scope 20130524/us-east-1/s3/aws4_request. */
#define DOC_AK     "AKIAIOSFODNN7EXAMPLE"
#define DOC_SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define DOC_SCOPE  "20130524/us-east-1/s3/aws4_request"
#define DOC_HOST   "examplebucket.s3.amazonaws.com"

#define HOST                                                                                       \
    {                                                                                              \
        "Host", "example.amazonaws.com"                                                            \
    }
/* The end of most suite canonical requests: host and x-amz-date, empty body. */
#define SUITE_TAIL                                                                                 \
    "host:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" EMPTY

struct vec {
    const char *name;
    const char *method, *path, *query;
    sigv4_header h[4];
    size_t nh;
    const char *payload;        /* NULL: empty body */
    const char *creq;           /* expected canonical request; NULL where none is published */
    const char *sts_hash;       /* last line of the string to sign; NULL where none is published */
    const char *signed_headers; /* expected Authorization parts */
    const char *signature;
};

/* aws-sig-v4-test-suite: service "service", path normalization on, the path URI-encoded
 * once (the suite's .req paths are raw; encoded once they equal what we get from a wire path
 * without SIGV4_DOUBLE_ENCODE). Headers are given as in each .req minus X-Amz-Date, which the
 * signer adds from the request time. */
static const struct vec suite[] = {
    {"get-vanilla",
     "GET",
     "/",
     NULL,
     {HOST},
     1,
     NULL,
     "GET\n/\n\n" SUITE_TAIL,
     "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
     "host;x-amz-date",
     "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
    {"get-vanilla-query",
     "GET",
     "/",
     "",
     {HOST},
     1,
     NULL,
     "GET\n/\n\n" SUITE_TAIL,
     "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
     "host;x-amz-date",
     "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
    {"get-vanilla-empty-query-key",
     "GET",
     "/",
     "Param1=value1",
     {HOST},
     1,
     NULL,
     "GET\n/\nParam1=value1\n" SUITE_TAIL,
     "1e24db194ed7d0eec2de28d7369675a243488e08526e8c1c73571282f7c517ab",
     "host;x-amz-date",
     "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb"},
    {"get-vanilla-query-order-key",
     "GET",
     "/",
     "Param1=value2&Param1=Value1",
     {HOST},
     1,
     NULL,
     "GET\n/\nParam1=Value1&Param1=value2\n" SUITE_TAIL,
     "704b4cef673542d84cdff252633f065e8daeba5f168b77116f8b1bcaf3d38f89",
     "host;x-amz-date",
     "eedbc4e291e521cf13422ffca22be7d2eb8146eecf653089df300a15b2382bd1"},
    {"get-vanilla-query-order-key-case",
     "GET",
     "/",
     "Param2=value2&Param1=value1",
     {HOST},
     1,
     NULL,
     "GET\n/\nParam1=value1&Param2=value2\n" SUITE_TAIL,
     "816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0",
     "host;x-amz-date",
     "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
    {"get-vanilla-query-order-value",
     "GET",
     "/",
     "Param1=value2&Param1=value1",
     {HOST},
     1,
     NULL,
     "GET\n/\nParam1=value1&Param1=value2\n" SUITE_TAIL,
     "c968629d70850097a2d8781c9bf7edcb988b04cac14cca9be4acc3595f884606",
     "host;x-amz-date",
     "5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694"},
    {"get-vanilla-query-unreserved",
     "GET",
     "/",
     "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz="
     "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
     {HOST},
     1,
     NULL,
     "GET\n/\n-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz="
     "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz\n" SUITE_TAIL,
     "c30d4703d9f799439be92736156d47ccfb2d879ddf56f5befa6d1d6aab979177",
     "host;x-amz-date",
     "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197"},
    {"get-vanilla-utf8-query",
     "GET",
     "/",
     "\xe1\x88\xb4=bar",
     {HOST},
     1,
     NULL,
     "GET\n/\n%E1%88%B4=bar\n" SUITE_TAIL,
     "eb30c5bed55734080471a834cc727ae56beb50e5f39d1bff6d0d38cb192a7073",
     "host;x-amz-date",
     "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"},
    {"get-unreserved",
     "GET",
     "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
     NULL,
     {HOST},
     1,
     NULL,
     "GET\n/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz\n\n" SUITE_TAIL,
     "6a968768eefaa713e2a6b16b589a8ea192661f098f37349f4e2c0082757446f9",
     "host;x-amz-date",
     "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"},
    /* aws-c-auth's get-utf8 publishes the signature, its query variant the URI line. */
    {"get-utf8",
     "GET",
     "/%E1%88%B4",
     NULL,
     {HOST},
     1,
     NULL,
     "GET\n/%E1%88%B4\n\n" SUITE_TAIL,
     NULL,
     "host;x-amz-date",
     "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"},
    {"get-space",
     "GET",
     "/example%20space/",
     NULL,
     {HOST},
     1,
     NULL,
     "GET\n/example%20space/\n\n" SUITE_TAIL,
     "63ee75631ed7234ae61b5f736dfc7754cdccfedbff4b5128a915706ee9390d86",
     "host;x-amz-date",
     "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741"},
    {"get-relative",
     "GET",
     "/example/..",
     NULL,
     {HOST},
     1,
     NULL,
     "GET\n/\n\n" SUITE_TAIL,
     "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
     "host;x-amz-date",
     "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
    {"get-relative-relative",
     "GET",
     "/example1/example2/../..",
     NULL,
     {HOST},
     1,
     NULL,
     "GET\n/\n\n" SUITE_TAIL,
     "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
     "host;x-amz-date",
     "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
    {"get-slash",
     "GET",
     "//",
     NULL,
     {HOST},
     1,
     NULL,
     "GET\n/\n\n" SUITE_TAIL,
     "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
     "host;x-amz-date",
     "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
    {"get-slash-dot-slash",
     "GET",
     "/./",
     NULL,
     {HOST},
     1,
     NULL,
     "GET\n/\n\n" SUITE_TAIL,
     "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
     "host;x-amz-date",
     "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
    {"get-slash-pointless-dot",
     "GET",
     "/./example",
     NULL,
     {HOST},
     1,
     NULL,
     "GET\n/example\n\n" SUITE_TAIL,
     "214d50c111a8edc4819da6a636336472c916b5240f51e9a51b5c3305180cf702",
     "host;x-amz-date",
     "ef75d96142cf21edca26f06005da7988e4f8dc83a165a80865db7089db637ec5"},
    {"get-slashes",
     "GET",
     "//example//",
     NULL,
     {HOST},
     1,
     NULL,
     "GET\n/example/\n\n" SUITE_TAIL,
     "cb96b4ac96d501f7c5c15bc6d67b3035061cfced4af6585ad927f7e6c985c015",
     "host;x-amz-date",
     "9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84"},
    {"get-header-key-duplicate",
     "GET",
     "/",
     NULL,
     {HOST, {"My-Header1", "value2"}, {"My-Header1", "value2"}, {"My-Header1", "value1"}},
     4,
     NULL,
     "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value2,value2,value1\n"
     "x-amz-date:20150830T123600Z\n\nhost;my-header1;x-amz-date\n" EMPTY,
     "dc7f04a3abfde8d472b0ab1a418b741b7c67174dad1551b4117b15527fbe966c",
     "host;my-header1;x-amz-date",
     "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"},
    {"get-header-value-trim",
     "GET",
     "/",
     NULL,
     {HOST, {"My-Header1", " value1"}, {"My-Header2", " \"a   b   c\""}},
     3,
     NULL,
     "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value1\nmy-header2:\"a b c\"\n"
     "x-amz-date:20150830T123600Z\n\nhost;my-header1;my-header2;x-amz-date\n" EMPTY,
     "a726db9b0df21c14f559d0a978e563112acb1b9e05476f0a6a1c7d68f28605c7",
     "host;my-header1;my-header2;x-amz-date",
     "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"},
    {"post-vanilla",
     "POST",
     "/",
     NULL,
     {HOST},
     1,
     NULL,
     "POST\n/\n\n" SUITE_TAIL,
     "553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87",
     "host;x-amz-date",
     "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
    {"post-vanilla-query",
     "POST",
     "/",
     "Param1=value1",
     {HOST},
     1,
     NULL,
     "POST\n/\nParam1=value1\n" SUITE_TAIL,
     "9d659678c1756bb3113e2ce898845a0a79dbbc57b740555917687f1b3340fbbd",
     "host;x-amz-date",
     "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"},
    {"post-vanilla-empty-query-value",
     "POST",
     "/",
     "Param1=value1",
     {HOST},
     1,
     NULL,
     "POST\n/\nParam1=value1\n" SUITE_TAIL,
     "9d659678c1756bb3113e2ce898845a0a79dbbc57b740555917687f1b3340fbbd",
     "host;x-amz-date",
     "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"},
    {"post-header-key-case",
     "POST",
     "/",
     NULL,
     {{"HOST", "example.amazonaws.com"}},
     1,
     NULL,
     "POST\n/\n\n" SUITE_TAIL,
     "553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87",
     "host;x-amz-date",
     "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
    {"post-header-key-sort",
     "POST",
     "/",
     NULL,
     {HOST, {"My-Header1", "value1"}},
     2,
     NULL,
     "POST\n/\n\nhost:example.amazonaws.com\nmy-header1:value1\nx-amz-date:20150830T123600Z\n\n"
     "host;my-header1;x-amz-date\n" EMPTY,
     "9368318c2967cf6de74404b30c65a91e8f6253e0a8659d6d5319f1a812f87d65",
     "host;my-header1;x-amz-date",
     "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c"},
    {"post-header-value-case",
     "POST",
     "/",
     NULL,
     {HOST, {"My-Header1", "VALUE1"}},
     2,
     NULL,
     "POST\n/\n\nhost:example.amazonaws.com\nmy-header1:VALUE1\nx-amz-date:20150830T123600Z\n\n"
     "host;my-header1;x-amz-date\n" EMPTY,
     "d51ced243e649e3de6ef63afbbdcbca03131a21a7103a1583706a64618606a93",
     "host;my-header1;x-amz-date",
     "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d"},
    /* Body "Param1=value1"; the suite signs Content-Type but not Content-Length. */
    {"post-x-www-form-urlencoded",
     "POST",
     "/",
     NULL,
     {{"Content-Type", "application/x-www-form-urlencoded"}, HOST},
     2,
     "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
     "POST\n/\n\ncontent-type:application/x-www-form-urlencoded\nhost:example.amazonaws.com\n"
     "x-amz-date:20150830T123600Z\n\ncontent-type;host;x-amz-date\n"
     "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
     "42a5e5bb34198acb3e84da4f085bb7927f2bc277ca766e6d19c73c2154021281",
     "content-type;host;x-amz-date",
     "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"},
    {"post-x-www-form-urlencoded-parameters",
     "POST",
     "/",
     NULL,
     {{"Content-Type", "application/x-www-form-urlencoded; charset=utf8"}, HOST},
     2,
     "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
     "POST\n/\n\ncontent-type:application/x-www-form-urlencoded; charset=utf8\n"
     "host:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\ncontent-type;host;x-amz-date\n"
     "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
     "2e1cf7ed91881a30569e46552437e4156c823447bf1781b921b5d486c568dd1c",
     "content-type;host;x-amz-date",
     "1a72ec8f64bd914b0e42e42607c7fbce7fb2c7465f63e3092b3b0d39fa77a6fe"},
    /* post-sts-header-after adds the token after signing: a signer without a token. */
    {"post-sts-header-after",
     "POST",
     "/",
     NULL,
     {HOST},
     1,
     NULL,
     "POST\n/\n\n" SUITE_TAIL,
     "553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87",
     "host;x-amz-date",
     "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
};

static int starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static void hex32(const unsigned char *d, char *out)
{
    for (int i = 0; i < 32; i++) snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* Checks the canonical request, the string to sign and the Authorization value of v. */
static void check_vec(sigv4_signer *s, const struct vec *v, time_t t, const char *date,
                      const char *ak, const char *scope)
{
    sigv4_request r = {.method = v->method,
                       .path = v->path,
                       .query = v->query,
                       .headers = v->h,
                       .nheaders = v->nh,
                       .payload_hash = v->payload,
                       .time = t};
    static char got[8192];
    char want[1024], what[160], auth[SIGV4_AUTH_SIZE], amz_date[SIGV4_DATE_SIZE];
    int n;

    if (v->creq) {
        n = sigv4_canonical_request(s, &r, got, sizeof got);
        snprintf(what, sizeof what, "%s: canonical request", v->name);
        test_eq_str(got, v->creq, what);
        test_eq_int(n, strlen(v->creq), what);
    }
    if (v->sts_hash) {
        n = sigv4_string_to_sign(s, &r, got, sizeof got);
        snprintf(want, sizeof want, "AWS4-HMAC-SHA256\n%s\n%s\n%s", date, scope, v->sts_hash);
        snprintf(what, sizeof what, "%s: string to sign", v->name);
        test_eq_str(got, want, what);
        test_eq_int(n, strlen(want), what);
    }
    n = sigv4_sign(s, &r, auth, sizeof auth, amz_date);
    snprintf(want, sizeof want, "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s",
             ak, scope, v->signed_headers, v->signature);
    snprintf(what, sizeof what, "%s: Authorization", v->name);
    test_eq_str(auth, want, what);
    test_eq_int(n, strlen(want), what);
    snprintf(what, sizeof what, "%s: x-amz-date", v->name);
    test_eq_str(amz_date, date, what);
}

static void test_suite(void)
{
    sigv4_signer s;
    test_eq_int(sigv4_init(&s, SUITE_AK, SUITE_SECRET, NULL, "us-east-1", "service"), 0,
                "init the suite's signer");
    test_eq_int(s.flags, SIGV4_FLAGS_GENERIC, "a service other than s3 gets the generic rules");
    s.flags = SIGV4_NORMALIZE_PATH; /* the suite encodes its raw paths once */
    for (size_t i = 0; i < sizeof suite / sizeof suite[0]; i++)
        check_vec(&s, &suite[i], T_SUITE, "20150830T123600Z", SUITE_AK, SUITE_SCOPE);

    /* get-header-value-order (five headers, one more than struct vec holds): My-Header1
     * given four times, values kept in request order. */
    sigv4_header h[] = {HOST,
                        {"My-Header1", "value4"},
                        {"My-Header1", "value1"},
                        {"My-Header1", "value3"},
                        {"My-Header1", "value2"}};
    sigv4_request r = {"GET", "/", NULL, h, 5, NULL, T_SUITE};
    char creq[512], auth[SIGV4_AUTH_SIZE], date[SIGV4_DATE_SIZE];
    sigv4_canonical_request(&s, &r, creq, sizeof creq);
    test_eq_str(creq,
                "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value4,value1,value3,value2\n"
                "x-amz-date:20150830T123600Z\n\nhost;my-header1;x-amz-date\n" EMPTY,
                "get-header-value-order: canonical request");
    sigv4_sign(&s, &r, auth, sizeof auth, date);
    test_eq_str(auth,
                "AWS4-HMAC-SHA256 Credential=" SUITE_AK "/" SUITE_SCOPE
                ", SignedHeaders=host;my-header1;x-amz-date, "
                "Signature=08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01",
                "get-header-value-order: Authorization");
    sigv4_clear(&s);

    /* post-sts-header-before: the signer adds x-amz-security-token itself and signs it. */
    test_eq_int(sigv4_init(&s, SUITE_AK, SUITE_SECRET, SUITE_TOKEN, "us-east-1", "service"), 0,
                "init with the suite's session token");
    s.flags = SIGV4_NORMALIZE_PATH;
    const struct vec sts = {"post-sts-header-before",
                            "POST",
                            "/",
                            NULL,
                            {HOST},
                            1,
                            NULL,
                            "POST\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n"
                            "x-amz-security-token:" SUITE_TOKEN
                            "\n\nhost;x-amz-date;x-amz-security-token\n" EMPTY,
                            "c237e1b440d4c63c32ca95b5b99481081cb7b13c7e40434868e71567c1a882f6",
                            "host;x-amz-date;x-amz-security-token",
                            "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead"};
    check_vec(&s, &sts, T_SUITE, "20150830T123600Z", SUITE_AK, SUITE_SCOPE);
    test_eq_str(s.session_token, SUITE_TOKEN, "the token is there for the caller to send");
    sigv4_header with_token[] = {HOST, {"X-Amz-Security-Token", SUITE_TOKEN}};
    r = (sigv4_request){"POST", "/", NULL, with_token, 2, NULL, T_SUITE};
    test_eq_int(sigv4_sign(&s, &r, auth, sizeof auth, date), -EINVAL,
                "the caller does not pass the token header the signer adds");
    sigv4_clear(&s);
}

/* The S3 documentation's examples: S3 rules (single encoding, x-amz-content-sha256). */
static void test_s3_doc(void)
{
    sigv4_signer s;
    char hash[SIGV4_SHA256_HEX_SIZE], key[65];
    test_eq_int(sigv4_init(&s, DOC_AK, DOC_SECRET, "", "us-east-1", "s3"), 0, "init the S3 signer");
    test_eq_int(s.flags, SIGV4_FLAGS_S3, "service s3 gets the S3 rules");
    test_ok(s.session_token == NULL, "an empty token means none");

    const char *body = "Welcome to Amazon S3.";
    sigv4_sha256_hex(body, strlen(body), hash);
    test_eq_str(hash, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072",
                "payload hash of the PUT example");

    const struct vec v[] = {
        {"S3 GET Object",
         "GET",
         "/test.txt",
         NULL,
         {{"Host", DOC_HOST}, {"Range", "bytes=0-9"}},
         2,
         EMPTY,
         "GET\n/test.txt\n\nhost:" DOC_HOST "\nrange:bytes=0-9\nx-amz-content-sha256:" EMPTY
         "\nx-amz-date:20130524T000000Z\n\nhost;range;x-amz-content-sha256;x-amz-date\n" EMPTY,
         "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972",
         "host;range;x-amz-content-sha256;x-amz-date",
         "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"},
        {"S3 PUT Object",
         "PUT",
         "/test%24file.text",
         NULL,
         {{"Date", "Fri, 24 May 2013 00:00:00 GMT"},
          {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
          {"Host", DOC_HOST}},
         3,
         "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072",
         "PUT\n/test%24file.text\n\ndate:Fri, 24 May 2013 00:00:00 GMT\nhost:" DOC_HOST
         "\nx-amz-content-sha256:44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"
         "\nx-amz-date:20130524T000000Z\nx-amz-storage-class:REDUCED_REDUNDANCY\n\n"
         "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class\n"
         "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072",
         "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d",
         "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
         "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"},
        {"S3 GET Bucket lifecycle",
         "GET",
         "/",
         "lifecycle",
         {{"Host", DOC_HOST}},
         1,
         NULL,
         "GET\n/\nlifecycle=\nhost:" DOC_HOST "\nx-amz-content-sha256:" EMPTY
         "\nx-amz-date:20130524T000000Z\n\nhost;x-amz-content-sha256;x-amz-date\n" EMPTY,
         "9766c798316ff2757b517bc739a67f6213b4ab36dd5da2f94eaebf79c77395ca",
         "host;x-amz-content-sha256;x-amz-date",
         "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"},
        {"S3 GET Bucket (list objects)",
         "GET",
         "/",
         "prefix=J&max-keys=2",
         {{"Host", DOC_HOST}},
         1,
         NULL,
         "GET\n/\nmax-keys=2&prefix=J\nhost:" DOC_HOST "\nx-amz-content-sha256:" EMPTY
         "\nx-amz-date:20130524T000000Z\n\nhost;x-amz-content-sha256;x-amz-date\n" EMPTY,
         "df57d21db20da04d7fa30298dd4488ba3a2b47ca3a489c74750e0f1e7df1b9b7",
         "host;x-amz-content-sha256;x-amz-date",
         "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        check_vec(&s, &v[i], T_S3DOC, "20130524T000000Z", DOC_AK, DOC_SCOPE);

    /* The documented signing key for 20130524/us-east-1/s3. */
    hex32(s.key, key);
    test_eq_str(key, "dbb893acc010964918f1fd433add87c70e8b0db6be30c1fbeafefa5ec6ba8378",
                "S3 doc signing key");

    /* An unencoded path canonicalizes the same (the wire path must still be encoded). */
    sigv4_header h[] = {{"Host", DOC_HOST}, {"Range", "bytes=0-9"}};
    sigv4_request r = {"GET", "/test$file.text", NULL, h, 2, EMPTY, T_S3DOC};
    char creq[1024];
    sigv4_canonical_request(&s, &r, creq, sizeof creq);
    test_ok(starts(creq, "GET\n/test%24file.text\n\n"), "a raw '$' in the path is signed as %24");
    sigv4_clear(&s);

    /* The AWS General Reference's example key: 20150830/us-east-1/iam. */
    test_eq_int(sigv4_init(&s, SUITE_AK, SUITE_SECRET, NULL, "us-east-1", "iam"), 0, "init iam");
    sigv4_header ih[] = {{"Host", "iam.amazonaws.com"}};
    r = (sigv4_request){"GET", "/", "Action=ListUsers&Version=2010-05-08", ih, 1, NULL, T_SUITE};
    char auth[SIGV4_AUTH_SIZE], date[SIGV4_DATE_SIZE];
    test_ok(sigv4_sign(&s, &r, auth, sizeof auth, date) > 0, "sign an iam request");
    hex32(s.key, key);
    test_eq_str(key, "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9",
                "General Reference signing key (iam)");
    sigv4_clear(&s);
}

/* Signatures botocore 1.43 computes (S3SigV4Auth / SigV4Auth, time fixed at T_2026). */
static void test_botocore(void)
{
    sigv4_signer s;
    char path[256], q[512], tmp[128], creq[2048], auth[SIGV4_AUTH_SIZE], date[SIGV4_DATE_SIZE];
    char hash[SIGV4_SHA256_HEX_SIZE];

    /* PUT of a key with spaces, '+', '%', '~' and UTF-8, with a session token. */
    test_eq_int(
        sigv4_init(&s, DOC_AK, DOC_SECRET, "FQoGZXIvYXdzEXAMPLE//token+/=", "eu-west-1", "s3"), 0,
        "init S3 signer with a token");
    const char *key = "photos/my key+%~\xc3\xa9 \xc3\xbc.jpg";
    path[0] = '/';
    size_t n = sigv4_uri_encode(path + 1, sizeof path - 1, key, strlen(key), 1);
    test_eq_str(path, "/photos/my%20key%2B%25~%C3%A9%20%C3%BC.jpg", "key encoded for the path");
    test_eq_int(n, strlen(path) - 1, "uri_encode returns the encoded length");
    sigv4_sha256_hex("hello", 5, hash);
    sigv4_header h1[] = {{"Host", "examplebucket.s3.eu-west-1.amazonaws.com"},
                         {"Content-MD5", "XUFAKrxLKna5cZ2REBfFkg=="},
                         {"x-amz-meta-Note", "  a   b  "}};
    sigv4_request r = {"PUT", path, NULL, h1, 3, hash, T_2026};
    sigv4_canonical_request(&s, &r, creq, sizeof creq);
    test_eq_str(creq,
                "PUT\n/photos/my%20key%2B%25~%C3%A9%20%C3%BC.jpg\n\n"
                "content-md5:XUFAKrxLKna5cZ2REBfFkg==\n"
                "host:examplebucket.s3.eu-west-1.amazonaws.com\n"
                "x-amz-content-sha256:"
                "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824\n"
                "x-amz-date:20260102T030405Z\nx-amz-meta-note:a b\n"
                "x-amz-security-token:FQoGZXIvYXdzEXAMPLE//token+/=\n\n"
                "content-md5;host;x-amz-content-sha256;x-amz-date;x-amz-meta-note;"
                "x-amz-security-token\n"
                "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
                "odd key, token: canonical request");
    sigv4_sign(&s, &r, auth, sizeof auth, date);
    test_eq_str(auth,
                "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260102/eu-west-1/s3/"
                "aws4_request, SignedHeaders=content-md5;host;x-amz-content-sha256;x-amz-date;"
                "x-amz-meta-note;x-amz-security-token, "
                "Signature=f94aad1bf3dc21ee652efc3b505d92946a00fcb2e40b1f4acd4b3d835b541039",
                "odd key, token: Authorization (botocore)");
    test_eq_str(date, "20260102T030405Z", "x-amz-date");
    /* The raw key signs the same: the path is decoded once before encoding. */
    char raw[128] = "/";
    strcat(raw, key);
    r.path = raw;
    char auth2[SIGV4_AUTH_SIZE];
    sigv4_sign(&s, &r, auth2, sizeof auth2, date);
    test_eq_str(auth2, auth, "raw and encoded path sign the same");
    /* Lowercase hex in the wire path is canonicalized to uppercase. */
    r.path = "/photos/my%20key%2b%25~%c3%a9%20%c3%bc.jpg";
    sigv4_sign(&s, &r, auth2, sizeof auth2, date);
    test_eq_str(auth2, auth, "lowercase %xx signs as uppercase");
    sigv4_clear(&s);

    /* ListObjectsV2 with values that need encoding and an empty value. */
    sigv4_init(&s, DOC_AK, DOC_SECRET, NULL, "eu-west-1", "s3");
    const char *params[][2] = {{"list-type", "2"},
                               {"prefix", "dir/sub dir/\xc3\xbc+"},
                               {"delimiter", "/"},
                               {"continuation-token", "1/abc+def=="},
                               {"start-after", ""}};
    size_t qn = 0;
    for (size_t i = 0; i < 5; i++) {
        qn += (size_t)snprintf(q + qn, sizeof q - qn, "%s%s=", i ? "&" : "", params[i][0]);
        sigv4_uri_encode(tmp, sizeof tmp, params[i][1], strlen(params[i][1]), 0);
        qn += (size_t)snprintf(q + qn, sizeof q - qn, "%s", tmp);
    }
    test_eq_str(q,
                "list-type=2&prefix=dir%2Fsub%20dir%2F%C3%BC%2B&delimiter=%2F&"
                "continuation-token=1%2Fabc%2Bdef%3D%3D&start-after=",
                "query built with sigv4_uri_encode");
    sigv4_header h2[] = {{"host", "examplebucket.s3.eu-west-1.amazonaws.com"}};
    r = (sigv4_request){"GET", "/", q, h2, 1, EMPTY, T_2026};
    sigv4_canonical_request(&s, &r, creq, sizeof creq);
    test_eq_str(creq,
                "GET\n/\ncontinuation-token=1%2Fabc%2Bdef%3D%3D&delimiter=%2F&list-type=2&"
                "prefix=dir%2Fsub%20dir%2F%C3%BC%2B&start-after=\n"
                "host:examplebucket.s3.eu-west-1.amazonaws.com\nx-amz-content-sha256:" EMPTY
                "\nx-amz-date:20260102T030405Z\n\nhost;x-amz-content-sha256;x-amz-date\n" EMPTY,
                "list query: canonical request");
    sigv4_sign(&s, &r, auth, sizeof auth, date);
    test_eq_str(auth,
                "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260102/eu-west-1/s3/"
                "aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, "
                "Signature=85edc62c7b041ca36e9dc8e303247ecf0ad97c74b28666c4822d49b6caf2ff7f",
                "list query: Authorization (botocore)");
    /* The same pairs unencoded (but '&' and '=' free) and in another order sign the same. */
    r.query = "start-after&continuation-token=1/abc+def%3D%3D&delimiter=/&list-type=2&"
              "prefix=dir/sub dir/\xc3\xbc+";
    sigv4_sign(&s, &r, auth2, sizeof auth2, date);
    test_eq_str(auth2, auth, "the query is decoded, re-encoded and sorted");

    /* UNSIGNED-PAYLOAD and a Range. */
    sigv4_header h3[] = {{"Host", "examplebucket.s3.eu-west-1.amazonaws.com"},
                         {"Range", "bytes=100-199"}};
    r = (sigv4_request){"GET", "/a~b/c", NULL, h3, 2, SIGV4_UNSIGNED_PAYLOAD, T_2026};
    sigv4_sign(&s, &r, auth, sizeof auth, date);
    test_eq_str(auth,
                "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260102/eu-west-1/s3/"
                "aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
                "Signature=0f1049d653212a4094f95f9c2555ba2296000657aeabe856f21f075ae23a31b9",
                "UNSIGNED-PAYLOAD: Authorization (botocore)");
    sigv4_clear(&s);

    /* Another service: normalized, double-encoded path ("%2F" stays an escaped slash). */
    sigv4_init(&s, DOC_AK, DOC_SECRET, NULL, "us-west-2", "es");
    sigv4_header h4[] = {{"Host", "search.example.com"}};
    r = (sigv4_request){
        "GET", "/a%20b/./c/../doc%2Fid/x~y/", "q=title%3Acaf%C3%A9&size=10", h4, 1, NULL, T_2026};
    sigv4_canonical_request(&s, &r, creq, sizeof creq);
    test_eq_str(creq,
                "GET\n/a%2520b/doc%252Fid/x~y/\nq=title%3Acaf%C3%A9&size=10\n"
                "host:search.example.com\nx-amz-date:20260102T030405Z\n\nhost;x-amz-date\n" EMPTY,
                "es: canonical request");
    sigv4_sign(&s, &r, auth, sizeof auth, date);
    test_eq_str(auth,
                "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260102/us-west-2/es/"
                "aws4_request, SignedHeaders=host;x-amz-date, "
                "Signature=86e30efd962d7fc4eefcaa8c997e3772545037f9b60307aa8669fbb2257d4809",
                "es: Authorization (botocore)");
    /* botocore's copy of the 2011 suite double-encodes get-utf8's "/%E1%88%B4". */
    r = (sigv4_request){"GET", "/%E1%88%B4", NULL, h4, 1, NULL, T_2026};
    sigv4_canonical_request(&s, &r, creq, sizeof creq);
    test_ok(starts(creq, "GET\n/%25E1%2588%25B4\n\n"), "double-encoded UTF-8 path");
    sigv4_clear(&s);
}

/* The signing key is derived once per date and reused within it. */
static void test_key_cache(void)
{
    sigv4_signer s, fresh;
    char a1[SIGV4_AUTH_SIZE], a2[SIGV4_AUTH_SIZE], date[SIGV4_DATE_SIZE], k1[65], k2[65];
    sigv4_header h[] = {HOST};
    sigv4_request r = {"GET", "/", NULL, h, 1, NULL, T_SUITE};

    sigv4_init(&s, SUITE_AK, SUITE_SECRET, NULL, "us-east-1", "service");
    test_eq_int(s.derivations, 0, "no key before the first request");
    sigv4_sign(&s, &r, a1, sizeof a1, date);
    test_eq_int(s.derivations, 1, "first request derives the key");
    hex32(s.key, k1);
    r.time = T_SUITE + 3600;
    sigv4_sign(&s, &r, a1, sizeof a1, date);
    r.time = T_SUITE - 12 * 3600 - 36 * 60; /* 00:00:00 the same day */
    sigv4_sign(&s, &r, a1, sizeof a1, date);
    test_eq_str(date, "20150830T000000Z", "midnight");
    r.time = T_SUITE + 11 * 3600 + 23 * 60 + 59; /* 23:59:59 */
    sigv4_sign(&s, &r, a1, sizeof a1, date);
    test_eq_str(date, "20150830T235959Z", "one second to midnight");
    test_eq_int(s.derivations, 1, "the same day reuses the key");
    r.time++;
    sigv4_sign(&s, &r, a1, sizeof a1, date);
    test_eq_str(date, "20150831T000000Z", "next day");
    test_eq_int(s.derivations, 2, "a new date derives a new key");
    hex32(s.key, k2);
    test_ok(strcmp(k1, k2) != 0, "the key changed");
    test_ok(strstr(a1, "Credential=AKIDEXAMPLE/20150831/us-east-1/service/aws4_request,") != NULL,
            "the scope follows the date");
    sigv4_init(&fresh, SUITE_AK, SUITE_SECRET, NULL, "us-east-1", "service");
    sigv4_sign(&fresh, &r, a2, sizeof a2, date);
    test_eq_str(a1, a2, "a cached key signs like a fresh signer");
    r.time = T_SUITE;
    sigv4_sign(&s, &r, a1, sizeof a1, date);
    test_eq_int(s.derivations, 3, "going back a day derives again");
    test_ok(strstr(a1, "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31") != NULL,
            "and signs get-vanilla right again");
    sigv4_clear(&fresh);

    sigv4_clear(&s);
    test_eq_int(s.derivations, 0, "clear wipes the signer");
    int zero = 1;
    for (size_t i = 0; i < sizeof s.secret; i++) zero &= s.secret[i] == 0;
    for (size_t i = 0; i < sizeof s.key; i++) zero &= s.key[i] == 0;
    test_ok(zero, "clear wipes the secret and the key");
    sigv4_clear(&s);
    test_ok(1, "clear twice is safe");
}

/* A canonical request far longer than the scratch buffer: hashed in pieces, same result as
 * hashing the whole text, and the signature equals OpenSSL's own HMAC over the string. */
static void test_long_request(void)
{
    static char path[16384], creq[65536], sts[512], want[512];
    static char names[20][16], vals[20][300];
    sigv4_header h[21];
    sigv4_signer s;
    char auth[SIGV4_AUTH_SIZE * 2], date[SIGV4_DATE_SIZE], hash[SIGV4_SHA256_HEX_SIZE];
    unsigned char mac[32];
    size_t maclen = 0;

    sigv4_init(&s, DOC_AK, DOC_SECRET, NULL, "us-east-1", "s3");
    size_t n = 0;
    path[n++] = '/';
    for (int i = 0; i < 2000; i++) {
        path[n++] = (char)0xc3;
        path[n++] = (char)0xbc;
    }
    path[n] = 0;
    h[0] = (sigv4_header){"Host", "b.s3.amazonaws.com"};
    for (int i = 0; i < 20; i++) {
        snprintf(names[i], sizeof names[i], "x-amz-meta-k%02d", 19 - i);
        memset(vals[i], 'a' + i, 299);
        vals[i][299] = 0;
        h[i + 1] = (sigv4_header){names[i], vals[i]};
    }
    sigv4_request r = {"PUT", path, "uploadId=abc&partNumber=3", h, 21, EMPTY, T_2026};
    int clen = sigv4_canonical_request(&s, &r, creq, sizeof creq);
    test_ok(clen > 2 * SIGV4_SCRATCH, "canonical request longer than the scratch buffer");
    test_eq_int(sigv4_canonical_request(&s, &r, creq, 100), -ENOSPC,
                "canonical_request: small buffer");
    test_eq_str(creq, "", "canonical_request: nothing on -ENOSPC");
    clen = sigv4_canonical_request(&s, &r, creq, sizeof creq);
    const char *k00 = strstr(creq, "\nx-amz-meta-k00:tttt"),
               *k19 = strstr(creq, "\nx-amz-meta-k19:");
    test_ok(k00 && k19 && k00 < k19, "headers sorted");
    sigv4_sha256_hex(creq, (size_t)clen, hash);
    snprintf(want, sizeof want, "AWS4-HMAC-SHA256\n20260102T030405Z\n%s\n%s",
             "20260102/us-east-1/s3/aws4_request", hash);
    sigv4_string_to_sign(&s, &r, sts, sizeof sts);
    test_eq_str(sts, want, "long request: string to sign hashes the whole canonical request");
    int alen = sigv4_sign(&s, &r, auth, sizeof auth, date);
    test_ok(alen > 0, "long request signs");
    EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, s.key, 32, (unsigned char *)want, strlen(want),
              mac, sizeof mac, &maclen);
    hex32(mac, hash);
    test_eq_int(maclen, 32, "OpenSSL HMAC length");
    test_ok(alen > 64 && strcmp(auth + alen - 64, hash) == 0,
            "signature equals OpenSSL's HMAC of the string to sign");
    sigv4_clear(&s);
}

static void test_errors(void)
{
    sigv4_signer s;
    char auth[SIGV4_AUTH_SIZE], date[SIGV4_DATE_SIZE], small[40];
    sigv4_header ok[] = {HOST};

    test_eq_int(sigv4_init(&s, "", "x", NULL, "r", "s"), -EINVAL, "init: empty access key");
    test_eq_int(sigv4_init(&s, "AK", "", NULL, "r", "s"), -EINVAL, "init: empty secret");
    test_eq_int(sigv4_init(&s, "AK", "x", NULL, "us/east", "s"), -EINVAL, "init: '/' in region");
    test_eq_int(sigv4_init(&s, "AK", "x", NULL, "r", NULL), -EINVAL, "init: no service");
    test_eq_int(sigv4_init(&s, "A K", "x", NULL, "r", "s"), -EINVAL, "init: space in key id");
    test_eq_int(sigv4_init(&s, "AK", "x", "tok\r\nX-Evil: 1", "r", "s"), -EINVAL,
                "init: CRLF in token");
    sigv4_clear(&s);

    sigv4_init(&s, SUITE_AK, SUITE_SECRET, NULL, "us-east-1", "s3");
    sigv4_request r = {"GET", "/", NULL, ok, 1, NULL, T_SUITE};
    test_ok(sigv4_sign(&s, &r, auth, sizeof auth, date) > 0, "a valid request signs");

    sigv4_header nohost[] = {{"Range", "bytes=0-1"}};
    r = (sigv4_request){"GET", "/", NULL, nohost, 1, NULL, T_SUITE};
    test_eq_int(sigv4_sign(&s, &r, auth, sizeof auth, date), -EINVAL, "host is required");
    test_eq_str(auth, "", "no Authorization on error");
    test_eq_str(date, "", "no date on error");

    sigv4_header dated[] = {HOST, {"X-Amz-Date", "20150830T123600Z"}};
    r.headers = dated;
    r.nheaders = 2;
    test_eq_int(sigv4_sign(&s, &r, auth, sizeof auth, date), -EINVAL, "x-amz-date is the signer's");
    sigv4_header sha[] = {HOST, {"x-amz-content-sha256", EMPTY}};
    r.headers = sha;
    test_eq_int(sigv4_sign(&s, &r, auth, sizeof auth, date), -EINVAL,
                "x-amz-content-sha256 is the signer's under S3 rules");
    sigv4_header authz[] = {HOST, {"Authorization", "x"}};
    r.headers = authz;
    test_eq_int(sigv4_sign(&s, &r, auth, sizeof auth, date), -EINVAL, "authorization refused");
    sigv4_header crlf[] = {HOST, {"x-amz-meta-a", "b\r\nx-amz-acl: public-read"}};
    r.headers = crlf;
    test_eq_int(sigv4_sign(&s, &r, auth, sizeof auth, date), -EINVAL, "CRLF in a value refused");
    sigv4_header colon[] = {HOST, {"x-a:b", "c"}};
    r.headers = colon;
    test_eq_int(sigv4_sign(&s, &r, auth, sizeof auth, date), -EINVAL, "':' in a name refused");

    sigv4_header many[SIGV4_MAX_HEADERS + 1];
    for (int i = 0; i <= SIGV4_MAX_HEADERS; i++) many[i] = (sigv4_header){"Host", "h"};
    r.headers = many;
    r.nheaders = SIGV4_MAX_HEADERS + 1;
    test_eq_int(sigv4_sign(&s, &r, auth, sizeof auth, date), -E2BIG, "too many headers");
    r.nheaders = SIGV4_MAX_HEADERS;
    test_ok(sigv4_sign(&s, &r, auth, sizeof auth, date) > 0, "the maximum number of headers");

    static char q[SIGV4_MAX_QUERY * 4 + 8];
    size_t qn = 0;
    for (int i = 0; i <= SIGV4_MAX_QUERY; i++) qn += (size_t)sprintf(q + qn, "%sa", i ? "&" : "");
    r = (sigv4_request){"GET", "/", q, ok, 1, NULL, T_SUITE};
    test_eq_int(sigv4_sign(&s, &r, auth, sizeof auth, date), -E2BIG, "too many query parameters");
    r.query = q + 2; /* one fewer */
    test_ok(sigv4_sign(&s, &r, auth, sizeof auth, date) > 0, "the maximum number of parameters");

    r = (sigv4_request){"GET", "key", NULL, ok, 1, NULL, T_SUITE};
    test_eq_int(sigv4_sign(&s, &r, auth, sizeof auth, date), -EINVAL, "path without '/'");
    r = (sigv4_request){"", "/", NULL, ok, 1, NULL, T_SUITE};
    test_eq_int(sigv4_sign(&s, &r, auth, sizeof auth, date), -EINVAL, "empty method");
    r = (sigv4_request){"GET", "/", NULL, ok, 1, "bad hash", T_SUITE};
    test_eq_int(sigv4_sign(&s, &r, auth, sizeof auth, date), -EINVAL, "space in payload hash");

    r = (sigv4_request){"GET", "/", NULL, ok, 1, NULL, T_SUITE};
    int full = sigv4_sign(&s, &r, auth, sizeof auth, date);
    test_eq_int(sigv4_sign(&s, &r, small, sizeof small, date), -ENOSPC, "small auth buffer");
    test_eq_str(small, "", "nothing written on -ENOSPC");
    char exact[SIGV4_AUTH_SIZE];
    test_eq_int(sigv4_sign(&s, &r, exact, (size_t)full + 1, date), full, "exact auth buffer");
    test_eq_int(sigv4_sign(&s, &r, exact, (size_t)full, date), -ENOSPC, "one byte short");
    char sts[64];
    test_eq_int(sigv4_string_to_sign(&s, &r, sts, sizeof sts), -ENOSPC, "small sts buffer");
    sigv4_clear(&s);

    sigv4_signer z;
    memset(&z, 0, sizeof z);
    test_eq_int(sigv4_sign(&z, &r, auth, sizeof auth, date), -EINVAL, "uninitialized signer");
}

/* Header values: trimmed, runs of spaces and tabs collapsed; names lowercased and sorted. */
static void test_headers(void)
{
    sigv4_signer s;
    char creq[1024];
    sigv4_init(&s, SUITE_AK, SUITE_SECRET, NULL, "us-east-1", "s3");
    sigv4_header h[] = {{"X-Amz-Meta-B", "\t two\t\t words \t"},
                        {"host", "h"},
                        {"x-amz-meta-a", ""},
                        {"X-AMZ-META-B", "second"},
                        {"content-md5", "1B2M2Y8AsgTpgAmY7PhCfg=="}};
    sigv4_request r = {"DELETE", "/k", NULL, h, 5, NULL, T_SUITE};
    sigv4_canonical_request(&s, &r, creq, sizeof creq);
    test_eq_str(
        creq,
        "DELETE\n/k\n\ncontent-md5:1B2M2Y8AsgTpgAmY7PhCfg==\nhost:h\n"
        "x-amz-content-sha256:" EMPTY "\nx-amz-date:20150830T123600Z\nx-amz-meta-a:\n"
        "x-amz-meta-b:two words,second\n\n"
        "content-md5;host;x-amz-content-sha256;x-amz-date;x-amz-meta-a;x-amz-meta-b\n" EMPTY,
        "trim, collapse, merge, lowercase, sort");
    /* S3 paths are not normalized: "//" and "." are part of the key. */
    r = (sigv4_request){"GET", "/b//./a/../c", "", h + 1, 1, NULL, T_SUITE};
    sigv4_canonical_request(&s, &r, creq, sizeof creq);
    test_ok(starts(creq, "GET\n/b//./a/../c\n\n"), "S3 paths kept as they are");
    r.path = "";
    sigv4_canonical_request(&s, &r, creq, sizeof creq);
    test_ok(starts(creq, "GET\n/\n\n"), "empty path is /");
    /* Query details: empty key, a bare '%', '+' as a plus, '&&' and a leading '?'. */
    r.path = "/";
    r.query = "?b=%&&a+b=1%2B2&=x&c";
    sigv4_canonical_request(&s, &r, creq, sizeof creq);
    test_ok(starts(creq, "GET\n/\n=x&a%2Bb=1%2B2&b=%25&c=\n"), "query edge cases");
    s.flags = SIGV4_FLAGS_GENERIC;
    r.query = NULL;
    const char *paths[][2] = {{"/a/b/..", "/a/"},      {"/a/b/.", "/a/b/"},    {"/..", "/"},
                              {"/a/./b//c", "/a/b/c"}, {"/a/b/../../..", "/"}, {"/a/b/", "/a/b/"}};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        char want[64], what[64];
        r.path = paths[i][0];
        sigv4_canonical_request(&s, &r, creq, sizeof creq);
        snprintf(want, sizeof want, "GET\n%s\n", paths[i][1]);
        snprintf(what, sizeof what, "normalize %s", paths[i][0]);
        test_ok(starts(creq, want), what);
    }
    sigv4_clear(&s);
}

static void test_uri_encode(void)
{
    char out[64];
    test_eq_int(sigv4_uri_encode(out, sizeof out, "a/b c", 5, 1), 7, "keep slash: length");
    test_eq_str(out, "a/b%20c", "keep slash");
    sigv4_uri_encode(out, sizeof out, "a/b c", 5, 0);
    test_eq_str(out, "a%2Fb%20c", "encode slash");
    sigv4_uri_encode(out, sizeof out, "-._~AZaz09", 10, 0);
    test_eq_str(out, "-._~AZaz09", "unreserved kept");
    sigv4_uri_encode(out, sizeof out, "!*'()+,;=:@$&?#[]%", 18, 0);
    test_eq_str(out, "%21%2A%27%28%29%2B%2C%3B%3D%3A%40%24%26%3F%23%5B%5D%25", "reserved encoded");
    sigv4_uri_encode(out, sizeof out, "\x00\x7f\xff", 3, 0);
    test_eq_str(out, "%00%7F%FF", "NUL, DEL and 0xFF by length");
    test_eq_int(sigv4_uri_encode(out, 5, "ab cd", 5, 0), 7, "truncated: full length returned");
    test_eq_str(out, "ab", "truncated: only whole escapes written");
    test_eq_int(sigv4_uri_encode(NULL, 0, "ab cd", 5, 0), 7, "cap 0: length only");
    int all = 1;
    for (int c = 0; c < 256; c++) {
        char in = (char)c;
        size_t n = sigv4_uri_encode(out, sizeof out, &in, 1, 0);
        int unres = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '.' || c == '_' || c == '~';
        char want[4];
        if (unres)
            snprintf(want, sizeof want, "%c", c);
        else
            snprintf(want, sizeof want, "%%%02X", c);
        all &= n == strlen(want) && strcmp(out, want) == 0;
    }
    test_ok(all, "every byte encodes as AWS says");
}

static void test_hashes(void)
{
    char hex[SIGV4_SHA256_HEX_SIZE], hex2[SIGV4_SHA256_HEX_SIZE];
    unsigned char mac[32], big[131];
    sigv4_sha256 h = {0};

    sigv4_sha256_hex("", 0, hex);
    test_eq_str(hex, EMPTY, "sha256 of nothing");
    sigv4_sha256_hex(NULL, 0, hex);
    test_eq_str(hex, EMPTY, "sha256 of NULL, 0");
    sigv4_sha256_hex("abc", 3, hex);
    test_eq_str(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
                "sha256 abc");

    static char data[100000];
    for (size_t i = 0; i < sizeof data; i++) data[i] = (char)(i * 7 + (i >> 8));
    sigv4_sha256_hex(data, sizeof data, hex);
    test_eq_int(sigv4_sha256_init(&h), 0, "incremental init");
    for (size_t off = 0, step = 1; off < sizeof data; off += step, step = step * 3 % 9973 + 1)
        sigv4_sha256_update(&h, data + off, off + step > sizeof data ? sizeof data - off : step);
    test_eq_int(sigv4_sha256_final(&h, hex2), 0, "incremental final");
    test_eq_str(hex2, hex, "incremental equals one-shot");
    test_ok(h.ctx == NULL, "final releases the context");
    test_eq_int(sigv4_sha256_update(&h, "x", 1), -EIO, "update after final fails");
    sigv4_sha256_free(&h);
    sigv4_sha256_init(&h);
    sigv4_sha256_update(&h, "abc", 3);
    sigv4_sha256_free(&h); /* abandoned */
    test_ok(h.ctx == NULL, "free releases an abandoned hash");

    /* RFC 4231 test cases 1, 2 and 6 (a key longer than the block is hashed first). */
    unsigned char k1[20];
    memset(k1, 0x0b, sizeof k1);
    sigv4_hmac_sha256(k1, sizeof k1, "Hi There", 8, mac);
    hex32(mac, hex);
    test_eq_str(hex, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
                "HMAC RFC 4231 case 1");
    sigv4_hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, mac);
    hex32(mac, hex);
    test_eq_str(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
                "HMAC RFC 4231 case 2");
    memset(big, 0xaa, sizeof big);
    const char *m6 = "Test Using Larger Than Block-Size Key - Hash Key First";
    sigv4_hmac_sha256(big, sizeof big, m6, strlen(m6), mac);
    hex32(mac, hex);
    test_eq_str(hex, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
                "HMAC RFC 4231 case 6");
    /* Against OpenSSL's HMAC for every key length around the block size. */
    int same = 1;
    for (size_t kl = 0; kl <= 130; kl++) {
        unsigned char want[32];
        size_t wl;
        EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, data + kl, kl,
                  (const unsigned char *)data + 500, kl * 3, want, sizeof want, &wl);
        sigv4_hmac_sha256(data + kl, kl, data + 500, kl * 3, mac);
        same &= memcmp(mac, want, 32) == 0;
    }
    test_ok(same, "HMAC equals OpenSSL's for keys of 0..130 bytes");
}

int main(void)
{
    test_suite();
    test_s3_doc();
    test_botocore();
    test_key_cache();
    test_long_request();
    test_headers();
    test_errors();
    test_uri_encode();
    test_hashes();
    return test_done();
}
