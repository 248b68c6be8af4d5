# Layout
site-tagline = Ombruk først – kommunens interne markedsplass
skip-to-content = Hopp til innholdet
nav-main-label = Hovedmeny
nav-start = Start
language-switcher-label = Velg språk
footer-about = Bruka er en intern markedsplass for ombruk av møbler og utstyr i offentlig sektor.
footer-source = Åpen kildekode
footer-method = Slik regner vi

# Start page
home-title = Ombruk først
home-lead = Før noen kjøper nytt: se om en annen enhet har det som trengs. Hver ting som brukes om igjen, sparer penger og unngår utslipp fra nyproduksjon.
home-how-heading = Slik fungerer det
home-how-post = Legg ut møbler og utstyr som enheten din ikke lenger trenger, med bilder og informasjon om henting.
home-how-claim = Finn og reserver det enheten din trenger, hent det og bekreft overleveringen.
home-how-count = Hver overlevering teller som et unngått innkjøp: sparte kroner og kilo CO₂-ekvivalenter, sporbare til en kilde.
home-categories-heading = Kategorier og utslippsfaktorer
home-categories-intro = Faktorene viser utslipp fra produksjon og distribusjon av en ny ting (ikke bruk), i den forsiktige enden av publiserte intervaller.
categories-empty = Det finnes ingen kategorier ennå.
categories-col-category = Kategori
categories-col-factor = Unngåtte utslipp
categories-col-price = Nypris
categories-col-source = Kilde
factor-per-item = { $kg } kg CO₂e per stykk
factor-per-kg = { $kg } kg CO₂e per kg
factor-per-kg-typical = { $kg } kg CO₂e per kg, omtrent { $total } kg CO₂e ved typisk vekt { $weight } kg
factor-missing = Ingen faktor
price-estimate = omtrent { $amount } SEK
price-missing = Ingen pris oppgitt
estimate-badge = anslag
factor-source-show = Vis kilde
factor-version = Faktortabell { $version }
method-heading = Slik regner vi
method-formula = Unngåtte utslipp = D × (utslipp for en ny ting − oppussing − transport). Penger spart = D × nypris − interne kostnader.
method-displacement = D er hvor sannsynlig det er at mottakeren ellers ville kjøpt nytt: ja 1,0, kanskje 0,5, nei 0. Unngåtte utslipp rapporteres separat og regnes aldri som kompensasjon for egne utslipp.

# Errors
error-not-found-title = Siden finnes ikke
error-not-found-text = Adressen kan være feilskrevet, eller siden kan være fjernet.
error-bad-request-title = Noe i forespørselen stemmer ikke
error-bad-request-text = Kontroller opplysningene og prøv igjen.
error-server-title = Noe gikk galt hos oss
error-server-text = Ingenting av det du gjorde, er lagret halvveis. Prøv igjen om litt.
error-unavailable-title = Tjenesten er midlertidig utilgjengelig
error-unavailable-text = Databasen svarer ikke akkurat nå. Prøv igjen om litt.
error-generic-title = Noe gikk galt
error-generic-text = Prøv igjen, eller gå tilbake til forsiden.
error-back-home = Til forsiden
error-request-id = Feilkode for support: { $id }

# Categories
category-mobler = Møbler
category-mobler-kontorsstol = Kontorstol
category-mobler-besoksstol-och-skolstol = Besøksstol og skolestol
category-mobler-skrivbord = Skrivebord
category-mobler-bord = Bord
category-mobler-hurts-och-forvaring = Skuffeseksjon og oppbevaring
category-mobler-skap = Skap
category-mobler-soffa = Sofa
category-it = IT
category-it-barbar-dator = Bærbar PC
category-it-skarm = Skjerm
category-it-stationar-dator = Stasjonær PC
category-it-surfplatta = Nettbrett
category-it-mobiltelefon = Mobiltelefon
category-it-skrivare = Skriver
category-vitvaror = Hvitevarer
category-vitvaror-kylskap = Kjøleskap
category-vitvaror-diskmaskin = Oppvaskmaskin
category-vitvaror-tvattmaskin = Vaskemaskin
category-vitvaror-spis-och-ugn = Komfyr og stekeovn
category-elektronik = Elektronikk
category-elektronik-sma-elapparater = Små elektriske apparater
category-elektronik-stora-elapparater = Store elektriske apparater
category-ovrigt = Annet
category-ovrigt-ovrigt = Annet

# Account navigation
nav-admin = Administrasjon
nav-sign-in = Logg inn
nav-sign-out = Logg ut
nav-signed-in-as = Innlogget som { $name }
form-error-heading = Noe må rettes
error-forbidden-title = Du har ikke tilgang
error-forbidden-text = Siden krever en annen rolle, eller skjemaet var for gammelt. Last inn siden på nytt og prøv igjen.
error-too-many-title = For mange forsøk
error-too-many-text = Vent litt før du prøver igjen.

# Sign-in
login-title = Logg inn
login-intro = Skriv inn e-postadressen din på jobben, så sender vi en innloggingslenke. Du trenger ikke passord.
login-email-label = E-postadresse på jobben
login-email-hint = For eksempel kari.nordmann@kommune.no
login-submit = Send innloggingslenke
login-signed-out = Du er nå logget ut.
login-error-invalid-email = Skriv inn en e-postadresse i formatet navn@kommune.no
login-sent-title = Sjekk e-posten din
login-sent-text = Hvis { $email } hører til en organisasjon som bruker Bruka, har vi sendt en innloggingslenke dit. Lenken gjelder i { $minutes } minutter og kan bare brukes én gang.
login-sent-unknown = Ingen e-post? Sjekk søppelposten, og at adressen er e-posten din på jobben. Ta ellers kontakt med den som administrerer Bruka i organisasjonen din.
login-sent-again = Send en ny lenke
login-confirm-title = Fortsett innloggingen
login-confirm-text = Du logger inn som { $email }.
login-confirm-submit = Logg inn
login-refused-title = Lenken virker ikke
login-refused-expired = Innloggingslenken er utløpt. Lenker gjelder i 15 minutter.
login-refused-used = Innloggingslenken er allerede brukt. Hver lenke virker én gang.
login-refused-invalid = Innloggingslenken er ugyldig. Kopier hele lenken fra e-posten, eller be om en ny.
login-refused-account = Adressen kan ikke lenger logge inn. Ta kontakt med den som administrerer Bruka i organisasjonen din.
login-refused-again = Be om en ny lenke

# First sign-in
welcome-title = Velkommen til Bruka
welcome-intro = Fortell hvem du er og hvilken enhet du hører til. Det vises for kolleger når du legger ut eller reserverer noe.
welcome-name-label = Navnet ditt
welcome-unit-label = Enheten din
welcome-unit-none = Velg enhet senere
welcome-no-units = Det finnes ingen enheter ennå. Administratoren din legger dem til.
welcome-submit = Lagre og fortsett
welcome-error-name = Skriv inn navnet ditt (høyst 100 tegn)

# Admin
admin-title = Administrasjon
admin-saved = Endringen er lagret.
admin-units-heading = Enheter
admin-units-empty = Ingen enheter ennå.
admin-unit-name-label = Enhetens navn
admin-unit-new-label = Ny enhet
admin-rename = Gi nytt navn
admin-add = Legg til
admin-remove = Fjern
admin-save = Lagre
admin-domains-heading = E-postdomener
admin-domains-intro = Alle med en e-postadresse på disse domenene kan logge inn i organisasjonen deres.
admin-domain-new-label = Nytt domene
admin-people-heading = Personer og roller
admin-col-person = Person
admin-col-unit = Enhet
admin-col-role = Rolle
admin-error-domain-taken = Domenet brukes allerede av en organisasjon.
admin-error-domain-invalid = Skriv inn et domene som kommune.no.
admin-error-last-domain = Organisasjonen må ha minst ett domene, ellers kan ingen logge inn.
admin-error-unit-taken = Det finnes allerede en enhet med det navnet.
admin-error-unit-name = Skriv inn et navn på 1–100 tegn.
admin-error-last-admin = Organisasjonen må ha minst én administrator.
role-member = Medarbeider
role-sustainability = Bærekraftsenhet
role-admin = Administrator

# Mail
mail-login-subject = Innloggingslenken din til Bruka
mail-login-greeting = Hei!
mail-login-text = Klikk på lenken for å logge inn i Bruka. Den gjelder i { $minutes } minutter og kan brukes én gang.
mail-login-button = Logg inn i Bruka
mail-login-ignore = Har du ikke bedt om å logge inn? Da kan du se bort fra denne e-posten.
