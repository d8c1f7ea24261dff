package org.guestagent.commands.update;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.util.Map;

import org.guestagent.api.command.CommandArgument;
import org.guestagent.api.command.CommandException;
import org.junit.jupiter.api.Test;

class UpdateRequestTest {
    private static final String MD5 = "0123456789abcdef0123456789abcdef";
    private static final String SHA = "ab".repeat(32);

    @Test
    void textFormSplitsAtTheLastComma() {
        UpdateRequest r = UpdateRequest.parse(CommandArgument.of("http://h/x,y.jar," + MD5.toUpperCase()));
        assertEquals(URI.create("http://h/x,y.jar"), r.url());
        assertEquals(MD5, r.md5());
        assertNull(r.sha256());
    }

    @Test
    void objectFormTakesMd5sumAndOptionalSha256() {
        UpdateRequest r = UpdateRequest.parse(CommandArgument.of(Map.of("url", "https://h/a.jar", "md5sum", MD5, "sha256", SHA)));
        assertEquals(URI.create("https://h/a.jar"), r.url());
        assertEquals(MD5, r.md5());
        assertEquals(SHA, r.sha256());
    }

    @Test
    void badValuesAre500WithAClearText() {
        assertThrows(CommandException.class, () -> UpdateRequest.parse(CommandArgument.of("http://h/a.jar")));
        assertThrows(CommandException.class, () -> UpdateRequest.parse(CommandArgument.of("http://h/a.jar,xyz")));
        assertThrows(CommandException.class, () -> UpdateRequest.parse(CommandArgument.of("ftp://h/a.jar," + MD5)));
        assertThrows(CommandException.class, () -> UpdateRequest.parse(CommandArgument.of(Map.of("url", "http://h/a", "md5sum", MD5, "sha256", "12"))));
        CommandException e = assertThrows(CommandException.class, () -> UpdateRequest.parse(CommandArgument.of(42)));
        assertEquals(org.guestagent.api.command.CommandResult.Status.FAILED, e.status());
    }

    @Test
    void shownUrlDropsUserInfoAndQuery() {
        UpdateRequest r = UpdateRequest.parse(CommandArgument.of("http://user:secret@h:8080/a.jar?token=t," + MD5));
        assertEquals("http://h:8080/a.jar", r.shownUrl());
        assertTrue(!r.shownUrl().contains("secret"));
    }

    @Test
    void textFormTellsTheDigestByItsLength() {
        UpdateRequest sha = UpdateRequest.parse(CommandArgument.of("https://h/a.jar," + SHA.toUpperCase()));
        assertNull(sha.md5());
        assertEquals(SHA, sha.sha256());
        assertThrows(CommandException.class, () -> UpdateRequest.parse(CommandArgument.of("https://h/a.jar," + "ab".repeat(20))));
    }

    @Test
    void fileUrlsAreRefusedAndHttpOnlyWhenAllowed() {
        CommandException e = assertThrows(CommandException.class,
                () -> UpdateRequest.parse(CommandArgument.of("file:///etc/shadow," + MD5)));
        assertTrue(e.getMessage().contains("only http or https"), e.getMessage());
        UpdateRequest http = UpdateRequest.parse(CommandArgument.of("http://h/a.jar," + MD5));
        assertThrows(CommandException.class, () -> http.checkScheme(false));
        http.checkScheme(true);
        UpdateRequest.parse(CommandArgument.of("https://h/a.jar," + MD5)).checkScheme(false);
    }
}
