# Layout
site-tagline = Reuse first – your organisation's internal marketplace
skip-to-content = Skip to content
nav-main-label = Main menu
nav-start = Home
language-switcher-label = Choose language
footer-about = Bruka is an internal marketplace for reusing furniture and equipment in the public sector.
footer-source = Open source
footer-method = How we count

# Start page
home-title = Reuse first
home-lead = Before anyone buys new: see whether another unit has what is needed. Every reused item saves money and avoids the emissions of making a new one.
home-how-heading = How it works
home-how-post = List furniture and equipment your unit no longer needs, with photos and pickup details.
home-how-claim = Find and reserve what your unit needs, collect it and confirm the handover.
home-how-count = Every handover counts as an avoided purchase: money saved and kilograms of CO₂ equivalents avoided, traceable to a source.
home-categories-heading = Categories and emission factors
home-categories-intro = The factors are the emissions of producing and distributing a new item (not its use), at the conservative end of published ranges.
categories-empty = There are no categories yet.
categories-col-category = Category
categories-col-factor = Avoided emissions
categories-col-price = New price
categories-col-source = Source
factor-per-item = { $kg } kg CO₂e per item
factor-per-kg = { $kg } kg CO₂e per kg
factor-per-kg-typical = { $kg } kg CO₂e per kg, about { $total } kg CO₂e at a typical weight of { $weight } kg
factor-missing = No factor
price-estimate = about { $amount } SEK
price-missing = No price given
estimate-badge = estimate
factor-source-show = Show source
factor-version = Factor table { $version }
method-heading = How we count
method-formula = Avoided emissions = D × (emissions of a new item − refurbishment − transport). Money saved = D × new price − internal costs.
method-displacement = D is how likely the receiver would otherwise have bought new: yes 1.0, unsure 0.5, no 0. Avoided emissions are reported separately and never counted as an offset against the organisation's own emissions.

# Errors
error-not-found-title = Page not found
error-not-found-text = The address may be mistyped, or the page has been removed.
error-bad-request-title = Something in the request is not right
error-bad-request-text = Check the details and try again.
error-server-title = Something went wrong on our side
error-server-text = Nothing you did was saved halfway. Please try again in a moment.
error-unavailable-title = The service is temporarily unavailable
error-unavailable-text = The database is not answering right now. Please try again in a moment.
error-generic-title = Something went wrong
error-generic-text = Try again, or go back to the start page.
error-back-home = Back to the start page
error-request-id = Error code for support: { $id }

# Categories
category-mobler = Furniture
category-mobler-kontorsstol = Office chair
category-mobler-besoksstol-och-skolstol = Visitor and school chair
category-mobler-skrivbord = Desk
category-mobler-bord = Table
category-mobler-hurts-och-forvaring = Pedestal and storage
category-mobler-skap = Cabinet
category-mobler-soffa = Sofa
category-it = IT
category-it-barbar-dator = Laptop
category-it-skarm = Monitor
category-it-stationar-dator = Desktop computer
category-it-surfplatta = Tablet
category-it-mobiltelefon = Mobile phone
category-it-skrivare = Printer
category-vitvaror = White goods
category-vitvaror-kylskap = Fridge
category-vitvaror-diskmaskin = Dishwasher
category-vitvaror-tvattmaskin = Washing machine
category-vitvaror-spis-och-ugn = Cooker and oven
category-elektronik = Electronics
category-elektronik-sma-elapparater = Small electrical appliances
category-elektronik-stora-elapparater = Large electrical appliances
category-ovrigt = Other
category-ovrigt-ovrigt = Other

# Account navigation
nav-admin = Administration
nav-sign-in = Sign in
nav-sign-out = Sign out
nav-signed-in-as = Signed in as { $name }
form-error-heading = There is a problem
error-forbidden-title = You do not have access
error-forbidden-text = The page needs another role, or the form had expired. Reload the page and try again.
error-too-many-title = Too many attempts
error-too-many-text = Please wait a while before trying again.

# Sign-in
login-title = Sign in
login-intro = Enter your work e-mail address and we will send you a sign-in link. No password needed.
login-email-label = Work e-mail address
login-email-hint = For example anna.andersson@kommun.se
login-submit = Send sign-in link
login-signed-out = You are now signed out.
login-error-invalid-email = Enter an e-mail address in the format name@kommun.se
login-sent-title = Check your e-mail
login-sent-text = If { $email } belongs to an organisation that uses Bruka, we have sent a sign-in link there. The link works for { $minutes } minutes and only once.
login-sent-unknown = No e-mail? Check your spam folder, and that the address is your work e-mail. Otherwise contact whoever administers Bruka in your organisation.
login-sent-again = Send a new link
login-confirm-title = Continue signing in
login-confirm-text = You are signing in as { $email }.
login-confirm-submit = Sign in
login-refused-title = The link does not work
login-refused-expired = The sign-in link has expired. Links work for 15 minutes.
login-refused-used = The sign-in link has already been used. Each link works once.
login-refused-invalid = The sign-in link is not valid. Copy the whole link from the e-mail, or ask for a new one.
login-refused-account = This address can no longer sign in. Contact whoever administers Bruka in your organisation.
login-refused-again = Ask for a new link

# First sign-in
welcome-title = Welcome to Bruka
welcome-intro = Tell us who you are and which unit you belong to. Colleagues see it when you list or reserve something.
welcome-name-label = Your name
welcome-unit-label = Your unit
welcome-unit-none = Choose a unit later
welcome-no-units = There are no units yet. Your administrator adds them.
welcome-submit = Save and continue
welcome-error-name = Enter your name (at most 100 characters)

# Admin
admin-title = Administration
admin-saved = The change is saved.
admin-units-heading = Units
admin-units-empty = No units yet.
admin-unit-name-label = Unit name
admin-unit-new-label = New unit
admin-rename = Rename
admin-add = Add
admin-remove = Remove
admin-save = Save
admin-domains-heading = E-mail domains
admin-domains-intro = Everyone with an e-mail address on these domains can sign in to your organisation.
admin-domain-new-label = New domain
admin-people-heading = People and roles
admin-col-person = Person
admin-col-unit = Unit
admin-col-role = Role
admin-error-domain-taken = The domain already belongs to an organisation.
admin-error-domain-invalid = Enter a domain such as kommun.se.
admin-error-last-domain = The organisation needs at least one domain, or nobody can sign in.
admin-error-unit-taken = There is already a unit with that name.
admin-error-unit-name = Enter a name of 1 to 100 characters.
admin-error-last-admin = The organisation needs at least one administrator.
role-member = Member
role-sustainability = Sustainability unit
role-admin = Administrator

# Mail
mail-login-subject = Your sign-in link for Bruka
mail-login-greeting = Hello,
mail-login-text = Click the link to sign in to Bruka. It works for { $minutes } minutes and only once.
mail-login-button = Sign in to Bruka
mail-login-ignore = Did not ask to sign in? Then you can ignore this e-mail.
